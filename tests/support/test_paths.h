// Where tests find things: the source tree, the build tree, and the shared third-party corpora
// (read in place, never copied). Corpora live beside the repo (../shared/corpora) or wherever
// VIGIA_CORPORA points; tests that need them skip with a message when they are absent.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace vigia::test {

std::filesystem::path source_dir();
std::filesystem::path binary_dir();
// The corpora root, or nullopt (after printing why) when it is not on this machine.
std::optional<std::filesystem::path> corpora_dir();

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace vigia::test
