// Java-style .properties files (key=value or key: value, # and ! comments), the format of
// Kafka's server.properties, and key=value overrides from the command line.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/result.h"

namespace shoal {

using properties = std::map<std::string, std::string>;

// Parses properties text; errors name the line. Later keys override earlier ones.
result<properties> parse_properties(std::string_view text, std::string_view source = "properties");
// Reads and parses a file.
result<properties> read_properties_file(const std::string& path);
// Parses one "key=value" override.
result<std::pair<std::string, std::string>> parse_override(std::string_view kv);

}  // namespace shoal
