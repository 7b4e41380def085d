#include "common/properties.h"

#include <fstream>
#include <sstream>

namespace shoal {
namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

result<properties> parse_properties(std::string_view text, std::string_view source) {
  properties props;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    size_t sep = line.find_first_of("=:");
    if (sep == std::string::npos) {
      return make_error(errc::invalid_config, "{} line {}: '{}' is not key=value", source, line_no,
                        line);
    }
    std::string key = trim(std::string_view(line).substr(0, sep));
    if (key.empty()) {
      return make_error(errc::invalid_config, "{} line {}: empty key", source, line_no);
    }
    props[key] = trim(std::string_view(line).substr(sep + 1));
  }
  return props;
}

result<properties> read_properties_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return make_error(errc::invalid_config, "cannot read config file {}", path);
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_properties(ss.str(), path);
}

result<std::pair<std::string, std::string>> parse_override(std::string_view kv) {
  size_t eq = kv.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return make_error(errc::invalid_config, "override '{}' is not key=value", kv);
  }
  return std::pair<std::string, std::string>(trim(kv.substr(0, eq)), trim(kv.substr(eq + 1)));
}

}  // namespace shoal
