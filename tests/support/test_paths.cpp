#include "support/test_paths.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace vigia::test {

std::filesystem::path source_dir() { return VIGIA_SOURCE_DIR; }
std::filesystem::path binary_dir() { return VIGIA_BINARY_DIR; }

std::optional<std::filesystem::path> corpora_dir() {
  if (const char* env = std::getenv("VIGIA_CORPORA"); env && *env) {
    if (std::filesystem::is_directory(env)) return std::filesystem::path(env);
    std::cerr << "SKIP: VIGIA_CORPORA=" << env << " is not a directory\n";
    return std::nullopt;
  }
  const auto beside = source_dir().parent_path() / "shared" / "corpora";
  if (std::filesystem::is_directory(beside)) return beside;
  std::cerr << "SKIP: third-party corpora not found (looked at " << beside.string()
            << "; set VIGIA_CORPORA to run corpus tests)\n";
  return std::nullopt;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = std::filesystem::temp_directory_path() / ("vigia-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace vigia::test
