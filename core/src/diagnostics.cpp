#include "vigia/core/diagnostics.h"

#include <algorithm>

#include "vigia/core/json_writer.h"

namespace vigia {

void Diagnostics::error(std::string code, std::string message, SourceLocation where, std::string source_line) {
  if (errors_ >= max_errors_) {
    ++errors_;
    return;
  }
  ++errors_;
  items_.push_back({DiagSeverity::kError, std::move(code), std::move(message), std::move(where), std::move(source_line)});
}

void Diagnostics::warning(std::string code, std::string message, SourceLocation where, std::string source_line) {
  items_.push_back({DiagSeverity::kWarning, std::move(code), std::move(message), std::move(where), std::move(source_line)});
}

void Diagnostics::merge(const Diagnostics& other) {
  for (const auto& d : other.items_) {
    if (d.severity == DiagSeverity::kError) {
      error(d.code, d.message, d.where, d.source_line);
    } else {
      warning(d.code, d.message, d.where, d.source_line);
    }
  }
  // Errors the other list counted past its cap still count here.
  if (other.errors_ > other.items_.size()) errors_ += other.errors_ - other.items_.size();
}

std::string format_diagnostic(const Diagnostic& d) {
  std::string out;
  if (!d.where.file.empty()) {
    out += d.where.file;
    if (d.where.line > 0) {
      out += ':' + std::to_string(d.where.line);
      if (d.where.column > 0) out += ':' + std::to_string(d.where.column);
    }
    out += ": ";
  }
  out += d.severity == DiagSeverity::kError ? "error" : "warning";
  out += '[' + d.code + "]: " + d.message + '\n';
  if (!d.source_line.empty()) {
    out += "  " + d.source_line + '\n';
    if (d.where.column > 0) {
      out += "  ";
      // Keep tabs so the caret lines up under tab-indented text.
      for (int i = 0; i < d.where.column - 1 && i < static_cast<int>(d.source_line.size()); ++i) {
        out += d.source_line[static_cast<std::size_t>(i)] == '\t' ? '\t' : ' ';
      }
      out += "^\n";
    }
  }
  return out;
}

std::string Diagnostics::to_text() const {
  std::string out;
  for (const auto& d : items_) out += format_diagnostic(d);
  if (errors_ > max_errors_) out += "(" + std::to_string(errors_ - max_errors_) + " more errors not shown)\n";
  return out;
}

std::string Diagnostics::to_json() const {
  JsonWriter w;
  w.begin_object();
  w.field("errors", static_cast<std::uint64_t>(errors_));
  w.key("diagnostics").begin_array();
  for (const auto& d : items_) {
    w.begin_object();
    w.field("file", d.where.file);
    w.field("line", d.where.line);
    w.field("column", d.where.column);
    w.field("severity", d.severity == DiagSeverity::kError ? "error" : "warning");
    w.field("code", d.code);
    w.field("message", d.message);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace vigia
