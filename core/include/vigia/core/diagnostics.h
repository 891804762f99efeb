// Diagnostics for operator-written files (config, rule packs): GCC-style positions, stable
// codes, a caret under the offending column, and a JSON form for tooling.
//   rules/packs/x.yaml:42:7: error[rule.unknown-key]: unknown key 'treshold' ... (did you mean 'threshold'?)
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace vigia {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

enum class DiagSeverity { kError, kWarning };

struct Diagnostic {
  DiagSeverity severity = DiagSeverity::kError;
  std::string code;  // e.g. "yaml.syntax", "rule.unknown-key"
  std::string message;
  SourceLocation where;
  std::string source_line;  // the text of where.line, for the caret snippet; may be empty
};

class Diagnostics {
 public:
  explicit Diagnostics(std::size_t max_errors = 200) : max_errors_(max_errors) {}

  void error(std::string code, std::string message, SourceLocation where, std::string source_line = {});
  void warning(std::string code, std::string message, SourceLocation where, std::string source_line = {});
  void merge(const Diagnostics& other);

  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  bool full() const { return errors_ >= max_errors_; }
  const std::vector<Diagnostic>& all() const { return items_; }

  // One diagnostic per entry, each followed by its source line and a caret when known.
  std::string to_text() const;
  // {"diagnostics":[{"file":..,"line":..,"column":..,"severity":..,"code":..,"message":..}]}
  std::string to_json() const;

 private:
  std::size_t max_errors_;
  std::size_t errors_ = 0;
  std::vector<Diagnostic> items_;
};

std::string format_diagnostic(const Diagnostic& d);

// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);
// The closest of `candidates` to `word` within distance 2 (or a third of its length), else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace vigia
