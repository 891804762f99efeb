#include "vigia/core/secret.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vigia {

Result<std::string> read_secret_env(const std::string& name) {
  const char* env = std::getenv(name.c_str());
  if (env == nullptr || *env == '\0') {
    return make_error("secret", "environment variable " + name + " is unset or empty");
  }
  return std::string(env);
}

Result<std::string> read_secret_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("secret", "cannot read " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string value = buf.str();
  while (!value.empty() &&
         (value.back() == '\n' || value.back() == '\r' || value.back() == ' ' || value.back() == '\t')) {
    value.pop_back();
  }
  if (value.empty()) return make_error("secret", path.string() + " is empty");
  return value;
}

}  // namespace vigia
