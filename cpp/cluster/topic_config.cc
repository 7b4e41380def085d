#include "cluster/topic_config.h"

#include <algorithm>

namespace shoal::cluster {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

result<TopicConfig> TopicConfig::with(const std::map<std::string, std::string>& overrides) const {
  TopicConfig c = *this;
  std::map<std::string, std::string> log_props;
  for (const auto& [key, value] : overrides) {
    if (key == "min.insync.replicas") {
      std::string v = trim(value);
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > INT32_MAX) {
        return make_error(errc::invalid_config,
                          "invalid value for 'min.insync.replicas': '{}' (an integer >= 1)", value);
      }
      c.min_insync_replicas = static_cast<int32_t>(n);
    } else if (key == "unclean.leader.election.enable") {
      std::string v = trim(value);
      std::transform(v.begin(), v.end(), v.begin(), ::tolower);
      if (v != "true" && v != "false") {
        return make_error(
            errc::invalid_config,
            "invalid value for 'unclean.leader.election.enable': '{}' (true or false)", value);
      }
      c.unclean_leader_election_enable = v == "true";
    } else {
      log_props[key] = value;
    }
  }
  SHOAL_ASSIGN_OR_RETURN(c.log, c.log.with(log_props));
  return c;
}

std::string TopicConfig::get(const std::string& key) const {
  if (key == "min.insync.replicas") return std::to_string(min_insync_replicas);
  if (key == "unclean.leader.election.enable") {
    return unclean_leader_election_enable ? "true" : "false";
  }
  return log.get(key);
}

std::map<std::string, std::string> TopicConfig::to_properties() const {
  auto m = log.to_properties();
  m["min.insync.replicas"] = get("min.insync.replicas");
  m["unclean.leader.election.enable"] = get("unclean.leader.election.enable");
  return m;
}

std::vector<storage::ConfigDefinition> topic_config_definitions() {
  auto defs = storage::log_config_definitions();
  defs.push_back({"min.insync.replicas", "int", "1", "[1,...]",
                  "with acks=all, the fewest in-sync replicas that must have a record before it "
                  "is acknowledged; fewer makes produce fail with NOT_ENOUGH_REPLICAS"});
  defs.push_back({"unclean.leader.election.enable", "boolean", "false", "[true, false]",
                  "let an out-of-sync replica lead when no in-sync replica is alive, accepting "
                  "the loss of records it lacks"});
  std::sort(defs.begin(), defs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return defs;
}

status validate_topic_name(const std::string& name) {
  if (name.empty()) {
    return make_error(errc::invalid_topic_exception,
                      "Topic name is invalid: the empty string is not allowed");
  }
  if (name == "." || name == "..") {
    return make_error(errc::invalid_topic_exception, "Topic name is invalid: '{}' is not allowed",
                      name);
  }
  if (name.size() > 249) {
    return make_error(errc::invalid_topic_exception,
                      "Topic name is invalid: the length of '{}' is longer than the max allowed "
                      "length 249",
                      name);
  }
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-';
    if (!ok) {
      return make_error(errc::invalid_topic_exception,
                        "Topic name is invalid: '{}' contains one or more characters other than "
                        "ASCII alphanumerics, '.', '_' and '-'",
                        name);
    }
  }
  return {};
}

bool topic_names_collide(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a == b) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] == '.' ? '_' : a[i];
    char y = b[i] == '.' ? '_' : b[i];
    if (x != y) return false;
  }
  return true;
}

bool is_internal_topic(const std::string& name) {
  return name == "__consumer_offsets" || name == "__transaction_state";
}

}  // namespace shoal::cluster
