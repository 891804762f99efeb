#include "secret.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

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
  std::string value;
  if (key == inline_key) {
    value = settings.string(key);
  } else if (key == env_key) {
    const std::string& name = settings.string(key);
    const char* env = std::getenv(name.c_str());
    if (env == nullptr || *env == '\0') {
      throw std::invalid_argument(prefix + key + ": environment variable " + name + " is unset or empty");
    }
    value = env;
  } else {
    const std::string& path = settings.string(key);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument(prefix + key + ": cannot read " + path);
    std::ostringstream buf;
    buf << in.rdbuf();
    value = buf.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ' || value.back() == '\t')) {
      value.pop_back();
    }
    if (value.empty()) throw std::invalid_argument(prefix + key + ": " + path + " is empty");
  }
  return value;
}

}  // namespace vigia::alerting
