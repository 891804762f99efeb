// `vigia scan`: the offline entry point. JSONL items in, one JSON line out per item that matched
// at least one rule: {"id", "line", "matches": [{rule, title, category, severity, score, terms}],
// "entities"}. Operators and the quality evaluation depend on this contract: keep it stable.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <optional>
#include <tuple>
#include <cstdio>
#include <cstring>
#include <memory>

#include "commands.h"
#include "vigia/core/codec.h"
#include "vigia/core/json_writer.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/scorer.h"

namespace vigia::daemon {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f && f != stdin) std::fclose(f);
  }
};

void write_hit_line(std::string& out, const Item& item, std::size_t line, const rules::ScoreResult& result) {
  JsonWriter w;
  w.begin_object();
  w.key("id");
  if (item.id.empty()) {
    w.null();
  } else {
    w.value(item.id);
  }
  w.field("line", static_cast<std::uint64_t>(line));
  w.key("matches").begin_array();
  for (const auto& m : result.matches) write_match(w, m);
  w.end_array();
  w.key("entities");
  write_entities(w, result.entities);
  w.end_object();
  out += w.str();
  out += '\n';
}

void write_explanation(std::string& out, const Item& item, std::size_t line, const rules::ScoreResult& result) {
  out += "line " + std::to_string(line) + (item.id.empty() ? "" : " (" + item.id + ")") + ": " + item.title + "\n";
  for (const auto& m : result.matches) {
    char score[32];
    std::snprintf(score, sizeof score, "%.2f", m.score);
    out += "  " + m.rule + "  [" + m.severity + ", " + m.category + "]  score " + score + "  — " + m.title + "\n";
    if (!m.breakdown.empty()) {
      out += "    score =";
      for (std::size_t i = 0; i < m.breakdown.size(); ++i) {
        char points[32];
        std::snprintf(points, sizeof points, "%.2f", m.breakdown[i].second);
        out += (i ? " + " : " ") + m.breakdown[i].first + " " + points;
      }
      out += "\n";
    }
    for (const auto& t : m.terms) out += "    " + t.pattern + " in " + t.field + ": " + t.snippet + "\n";
  }
  if (!result.entities.empty()) {
    out += "  entities:";
    for (const auto& [list, names] : result.entities) {
      out += " " + list + "=";
      for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
    }
    out += "\n";
  }
  out += "\n";
}

// How one item's hits differ between two rule sets; empty when they do not.
struct Difference {
  std::vector<std::pair<std::string, double>> added;    // fires only with the new rules
  std::vector<std::pair<std::string, double>> removed;  // fires only with the old rules
  std::vector<std::tuple<std::string, double, double>> changed;  // fires with both, other score
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

Difference compare(const std::vector<Match>& before, const std::vector<Match>& after) {
  Difference d;
  auto find = [](const std::vector<Match>& in, const std::string& rule) {
    return std::find_if(in.begin(), in.end(), [&](const Match& m) { return m.rule == rule; });
  };
  for (const auto& m : after) {
    const auto old = find(before, m.rule);
    if (old == before.end()) {
      d.added.emplace_back(m.rule, m.score);
    } else if (std::abs(old->score - m.score) > 0.005) {
      d.changed.emplace_back(m.rule, old->score, m.score);
    }
  }
  for (const auto& m : before) {
    if (find(after, m.rule) == after.end()) d.removed.emplace_back(m.rule, m.score);
  }
  return d;
}

void write_difference(std::string& out, const Item& item, std::size_t line, const Difference& d, bool explain) {
  if (explain) {
    char buf[64];
    out += "line " + std::to_string(line) + (item.id.empty() ? "" : " (" + item.id + ")") + ": " + item.title + "\n";
    for (const auto& [rule, score] : d.added) {
      std::snprintf(buf, sizeof buf, "%.2f", score);
      out += "  + " + rule + "  score " + buf + "\n";
    }
    for (const auto& [rule, score] : d.removed) {
      std::snprintf(buf, sizeof buf, "%.2f", score);
      out += "  - " + rule + "  score " + buf + "\n";
    }
    for (const auto& [rule, before, after] : d.changed) {
      std::snprintf(buf, sizeof buf, "%.2f -> %.2f", before, after);
      out += "  ~ " + rule + "  score " + buf + "\n";
    }
    out += "\n";
    return;
  }
  JsonWriter w;
  w.begin_object();
  w.key("id");
  if (item.id.empty()) {
    w.null();
  } else {
    w.value(item.id);
  }
  w.field("line", static_cast<std::uint64_t>(line));
  w.field("title", item.title);
  for (const auto* list : {&d.added, &d.removed}) {
    w.key(list == &d.added ? "added" : "removed").begin_array();
    for (const auto& [rule, score] : *list) w.begin_object().field("rule", rule).field("score", score).end_object();
    w.end_array();
  }
  w.key("changed").begin_array();
  for (const auto& [rule, before, after] : d.changed) {
    w.begin_object().field("rule", rule).field("before", before).field("after", after).end_object();
  }
  w.end_array();
  w.end_object();
  out += w.str();
  out += '\n';
}

std::optional<rules::RuleSetPtr> load_or_report(const std::vector<std::filesystem::path>& paths) {
  auto loaded = rules::load_rule_set(paths);
  if (!loaded.rules) {
    std::fputs(loaded.diagnostics.to_text().c_str(), stderr);
    std::fprintf(stderr, "vigia scan: rules could not be loaded (%zu errors)\n", loaded.diagnostics.error_count());
    return std::nullopt;
  }
  return loaded.rules;
}

}  // namespace

int scan_command(const ScanOptions& options) {
  const auto loaded = load_or_report(options.rules);
  if (!loaded) return 2;
  std::optional<rules::RuleSetPtr> other;
  if (!options.compare_rules.empty()) {
    other = load_or_report(options.compare_rules);
    if (!other) return 2;
  }
  std::unique_ptr<std::FILE, FileCloser> in(options.input == "-" ? stdin : std::fopen(options.input.c_str(), "rb"));
  if (!in) {
    std::fprintf(stderr, "vigia scan: cannot read %s: %s\n", options.input.c_str(), std::strerror(errno));
    return 1;
  }
  const std::string input_name = options.input == "-" ? "<stdin>" : options.input;

  rules::Scorer scorer(*loaded);
  std::optional<rules::Scorer> other_scorer;
  if (other) other_scorer.emplace(*other);
  std::size_t differing = 0;
  char* buffer = nullptr;
  std::size_t capacity = 0;
  std::size_t line_no = 0;
  std::size_t items = 0;
  std::size_t hits = 0;
  std::size_t bad = 0;
  std::string out;
  out.reserve(1 << 16);
  ssize_t n = 0;
  while ((n = ::getline(&buffer, &capacity, in.get())) >= 0) {
    ++line_no;
    std::string_view line(buffer, static_cast<std::size_t>(n));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    auto item = decode_item(line);
    if (!item.ok()) {
      ++bad;
      std::fprintf(stderr, "%s:%zu: error[item.%s]: %s\n", input_name.c_str(), line_no, item.error().reason.c_str(),
                   item.error().message.c_str());
      continue;
    }
    ++items;
    const rules::ScoreResult result = scorer.score(*item);
    if (other_scorer) {
      const Difference d = compare(result.matches, other_scorer->score(*item).matches);
      if (!d.empty()) {
        ++differing;
        write_difference(out, *item, line_no, d, options.explain);
      }
    } else if (result.matches.empty()) {
      continue;
    } else if (options.explain) {
      ++hits;
      write_explanation(out, *item, line_no, result);
    } else {
      ++hits;
      write_hit_line(out, *item, line_no, result);
    }
    if (out.size() > (1 << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::free(buffer);
  const bool read_error = std::ferror(in.get()) != 0;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (read_error) {
    std::fprintf(stderr, "vigia scan: error reading %s\n", input_name.c_str());
    return 1;
  }
  if (bad > 0) {
    std::fprintf(stderr, "vigia scan: %zu of %zu lines could not be read as items\n", bad, items + bad);
    return 1;
  }
  if (other_scorer) {
    std::fprintf(stderr, "vigia scan: %zu items, %zu score differently with the compared rules\n", items, differing);
  } else if (options.explain) {
    std::fprintf(stderr, "vigia scan: %zu items, %zu with hits\n", items, hits);
  }
  return 0;
}

}  // namespace vigia::daemon
