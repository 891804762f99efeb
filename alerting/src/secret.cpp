#include "secret.h"

#include <stdexcept>
#include <utility>
#include <vector>

#include "vigia/core/secret.h"

namespace vigia::alerting {

std::optional<std::string> read_secret(const ConfigValues& settings, const std::string& sink, const std::string& inline_key,
                                       const std::string& env_key, const std::string& file_key) {
  const std::string prefix = "sink '" + sink + "': ";
  std::vector<std::string> set;
  for (const std::string* key : {&inline_key, &env_key, &file_key}) {
    if (!key->empty() && settings.has(*key) && !settings.string(*key).empty()) set.push_back(*key);
  }
  if (set.empty()) return std::nullopt;
  if (set.size() > 1) {
    std::string names;
    for (const auto& k : set) names += (names.empty() ? "" : ", ") + k;
    throw std::invalid_argument(prefix + "set only one of " + names);
  }
  const std::string& key = set.front();
  if (key == inline_key) return settings.string(key);
  auto value = key == env_key ? read_secret_env(settings.string(key)) : read_secret_file(settings.string(key));
  if (!value.ok()) throw std::invalid_argument(prefix + key + ": " + value.error().message);
  return std::move(*value);
}

}  // namespace vigia::alerting
