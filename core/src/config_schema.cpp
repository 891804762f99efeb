#include "vigia/core/config_schema.h"

#include <algorithm>
#include <cstdlib>

#include "vigia/core/log.h"

namespace vigia {
namespace {

[[noreturn]] void misuse(const std::string& what) {
  log::get("core")->critical("config schema misuse: {}", what);
  std::abort();
}

std::optional<ConfigValue> parse_scalar(const ConfigKey& key, const YamlDoc& doc, const YAML::Node& node,
                                        std::string_view prefix) {
  switch (key.type) {
    case ConfigType::kString:
      if (auto v = doc.string_at(node, prefix)) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kPath:
      if (auto v = doc.string_at(node, prefix)) return ConfigValue{doc.resolve_path(*v)};
      return std::nullopt;
    case ConfigType::kInteger:
      if (auto v = doc.integer_at(node, prefix)) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kNumber:
      if (auto v = doc.number_at(node, prefix)) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kBool:
      if (auto v = doc.bool_at(node, prefix)) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kDuration:
      if (auto v = doc.duration_at(node, prefix)) return ConfigValue{*v};
      return std::nullopt;
    case ConfigType::kStrings:
      if (auto v = doc.strings_at(node, prefix)) return ConfigValue{*v};
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<ConfigValue> parse_default(const ConfigKey& key) {
  if (key.required) return std::nullopt;  // a required key has no value until the config gives one
  if (key.default_value.empty() && key.type != ConfigType::kString && key.type != ConfigType::kStrings) {
    return std::nullopt;
  }
  Diagnostics ignored;
  YamlDoc doc("<default>", key.default_value.empty() ? "\"\"" : key.default_value, ignored);
  if (key.type == ConfigType::kStrings && key.default_value.empty()) return ConfigValue{std::vector<std::string>{}};
  auto v = parse_scalar(key, doc, doc.root(), "default");
  if (!v) misuse("default '" + key.default_value + "' of key '" + key.name + "' does not parse");
  return v;
}

}  // namespace

const ConfigValue& ConfigValues::at(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) misuse("key '" + key + "' has no value and no default");
  return it->second;
}

template <typename T>
const T& get_as(const ConfigValue& v, const std::string& key) {
  if (!std::holds_alternative<T>(v)) misuse("key '" + key + "' read with the wrong type");
  return std::get<T>(v);
}

const std::string& ConfigValues::string(const std::string& key) const { return get_as<std::string>(at(key), key); }
long long ConfigValues::integer(const std::string& key) const { return get_as<long long>(at(key), key); }
double ConfigValues::number(const std::string& key) const { return get_as<double>(at(key), key); }
bool ConfigValues::boolean(const std::string& key) const { return get_as<bool>(at(key), key); }
std::chrono::milliseconds ConfigValues::duration(const std::string& key) const {
  return get_as<std::chrono::milliseconds>(at(key), key);
}
const std::vector<std::string>& ConfigValues::strings(const std::string& key) const {
  return get_as<std::vector<std::string>>(at(key), key);
}

std::optional<ConfigValues> validate_config(const YamlDoc& doc, const YAML::Node& node, const ConfigSchema& schema,
                                            const std::vector<std::string>& extra_keys, std::string_view prefix,
                                            std::string_view what) {
  std::vector<std::string> allowed = extra_keys;
  for (const auto& k : schema) allowed.push_back(k.name);
  if (!doc.check_keys(node, allowed, prefix, what)) return std::nullopt;
  bool ok = true;
  // check_keys reported unknown keys; count them as failures too.
  for (const auto& kv : node) {
    if (std::find(allowed.begin(), allowed.end(), kv.first.Scalar()) == allowed.end()) ok = false;
  }
  ConfigValues values;
  for (const auto& key : schema) {
    const YAML::Node v = node[key.name];
    if (!v || v.IsNull()) {
      if (key.required) {
        doc.error(node, std::string(prefix) + ".missing-key",
                  std::string(what) + " needs key '" + key.name + "' (" + key.description + ")");
        ok = false;
      } else if (auto d = parse_default(key)) {
        values.set(key.name, std::move(*d));
      }
      continue;
    }
    auto parsed = parse_scalar(key, doc, v, prefix);
    if (parsed && !key.allowed.empty() && std::holds_alternative<std::string>(*parsed) &&
        std::find(key.allowed.begin(), key.allowed.end(), std::get<std::string>(*parsed)) == key.allowed.end()) {
      std::string msg = "'" + std::get<std::string>(*parsed) + "' is not a valid " + key.name + " (one of:";
      for (const auto& a : key.allowed) msg += " " + a;
      doc.error(v, std::string(prefix) + ".bad-value", msg + ")");
      parsed.reset();
    }
    if (parsed) {
      values.set(key.name, std::move(*parsed));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return values;
}

ConfigValues defaults_of(const ConfigSchema& schema) {
  ConfigValues values;
  for (const auto& key : schema) {
    if (auto d = parse_default(key)) values.set(key.name, std::move(*d));
  }
  return values;
}

std::string_view config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::kString: return "string";
    case ConfigType::kPath: return "path";
    case ConfigType::kInteger: return "integer";
    case ConfigType::kNumber: return "number";
    case ConfigType::kBool: return "bool";
    case ConfigType::kDuration: return "duration";
    case ConfigType::kStrings: return "list of strings";
  }
  return "?";
}

}  // namespace vigia
