// Loading operator YAML with positions kept: the two-pass scheme of STYLE.md §5. Pass one parses
// (yaml-cpp) and keeps each node's Mark; pass two walks the nodes with these helpers, which turn
// every problem into a Diagnostic at file:line:col and never throw.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "vigia/core/diagnostics.h"

namespace vigia {

class YamlDoc {
 public:
  // Parses `text`; a syntax error becomes diagnostic "yaml.syntax" and root() is null.
  YamlDoc(std::string file, std::string text, Diagnostics& diags);
  // Reads `path` first; an unreadable file becomes "io.read".
  static YamlDoc load_file(const std::string& path, Diagnostics& diags);

  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }
  bool ok() const { return ok_; }

  SourceLocation where(const YAML::Node& node) const;
  // `path` as written in this document: absolute paths and "" stay as they are, relative ones
  // are taken from the document's own folder.
  std::string resolve_path(const std::string& path) const;
  std::string line_text(int line) const;
  void error(const YAML::Node& at, std::string code, std::string message) const;
  void warning(const YAML::Node& at, std::string code, std::string message) const;

  // Unknown keys of mapping `node` become "<prefix>.unknown-key" errors with a suggestion.
  // Returns false when `node` is not a mapping (also reported).
  bool check_keys(const YAML::Node& node, const std::vector<std::string>& allowed, std::string_view prefix,
                  std::string_view what) const;

  // Typed scalar readers: report "<prefix>.type" and return nullopt on a wrong type.
  std::optional<std::string> string_at(const YAML::Node& node, std::string_view prefix) const;
  std::optional<double> number_at(const YAML::Node& node, std::string_view prefix) const;
  std::optional<long long> integer_at(const YAML::Node& node, std::string_view prefix) const;
  std::optional<bool> bool_at(const YAML::Node& node, std::string_view prefix) const;
  // "90s", "15m", "2h", "500ms", "1d" or a bare number of seconds.
  std::optional<std::chrono::milliseconds> duration_at(const YAML::Node& node, std::string_view prefix) const;
  // A scalar or a sequence of scalars.
  std::optional<std::vector<std::string>> strings_at(const YAML::Node& node, std::string_view prefix) const;

 private:
  std::string file_;
  std::string text_;
  std::vector<std::size_t> line_starts_;
  YAML::Node root_;
  bool ok_ = false;
  Diagnostics* diags_;
};

// Parses "90s"/"15m"/"2h"/"500ms"/"1d"/"30" (seconds); nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace vigia
