// Typed configuration tables, in the spirit of Fluent Bit's config_map: each connector and sink
// declares its keys once (type, default, required, description). The same table validates a
// YAML mapping (unknown keys are errors with a suggestion), fills in defaults, and documents the
// component (`vigia config schema`).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "vigia/core/yaml_doc.h"

namespace vigia {

// kPath is a string that, when relative, is resolved against the folder of the file that
// declared it, so a config works from any working directory.
enum class ConfigType { kString, kPath, kInteger, kNumber, kBool, kDuration, kStrings };

struct ConfigKey {
  std::string name;
  ConfigType type = ConfigType::kString;
  bool required = false;
  std::string default_value;  // as it would be written in YAML; empty: no default
  std::string description;
  std::vector<std::string> allowed;  // for strings: the only values accepted (empty: any)
};

using ConfigSchema = std::vector<ConfigKey>;

using ConfigValue =
    std::variant<std::string, long long, double, bool, std::chrono::milliseconds, std::vector<std::string>>;

// Validated values of one component. Getters take keys that the schema declares; asking for an
// undeclared key or the wrong type is a programming error (VIGIA_CHECK-style abort).
class ConfigValues {
 public:
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::string& string(const std::string& key) const;
  long long integer(const std::string& key) const;
  double number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::chrono::milliseconds duration(const std::string& key) const;
  const std::vector<std::string>& strings(const std::string& key) const;

  void set(const std::string& key, ConfigValue value) { values_[key] = std::move(value); }

 private:
  const ConfigValue& at(const std::string& key) const;
  std::map<std::string, ConfigValue> values_;
};

// Validates mapping `node` against `schema` plus `extra_keys` (keys the caller reads itself,
// e.g. "name" and "type"). Reports every problem to the document's diagnostics with `prefix`
// codes ("feed.unknown-key", "feed.missing-key", "feed.type"). Returns nullopt on any error.
std::optional<ConfigValues> validate_config(const YamlDoc& doc, const YAML::Node& node, const ConfigSchema& schema,
                                            const std::vector<std::string>& extra_keys, std::string_view prefix,
                                            std::string_view what);

// The same values from defaults alone (for components built in code, e.g. tests).
ConfigValues defaults_of(const ConfigSchema& schema);

std::string_view config_type_name(ConfigType type);

}  // namespace vigia
