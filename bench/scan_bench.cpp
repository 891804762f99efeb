// Scoring throughput, end to end as `vigia scan` does it: a JSONL item in, decoded, folded,
// scanned with the rule set's Hyperscan database, conditions and scores evaluated, and a Hit
// encoded for every item that matched. Single-threaded, so the numbers are per core.
//
//   scan_bench [--rules PATH] [--corpora DIR] [--seconds S] [--patterns N] [--export DIR]
//     --rules     a rule file or folder (default: rules/packs of the source tree)
//     --corpora   where the news items come from (default: $VIGIA_CORPORA, else
//                 ../shared/corpora): every item of the real news feeds there, parsed by our own
//                 parser, cut to about 1 KB of text each (title + summary + content)
//     --patterns  instead of --rules, a generated rule set of N patterns (terms made of words of
//                 the items, a few wildcards and regexes, 20 patterns per rule)
//     --seconds   measuring time (default 3)
//     --rounds    a fixed number of rounds instead of --seconds (instruction counts under
//                 callgrind are repeatable where times on a busy machine are not)
//     --export    also write DIR/items.jsonl and DIR/expressions.json so another implementation
//                 can be timed on exactly the same input (bench/scan_vs_python_re.sh)
//
// Output: compile time, then one machine-readable line:
//   RESULT rules=… expressions=… items=… bytes=… seconds=… items_per_s=… mb_per_s=… hits=…
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "vigia/connectors/feed_parser.h"
#include "vigia/core/codec.h"
#include "vigia/core/json_writer.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/scorer.h"
#include "vigia/rules/text_fold.h"

namespace fs = std::filesystem;
using namespace vigia;

namespace {

constexpr std::size_t kItemTextBytes = 1000;

struct Options {
  fs::path rules;
  fs::path corpora;
  double seconds = 3.0;
  std::size_t patterns = 0;
  fs::path export_dir;
  std::size_t rounds = 0;  // fixed number of rounds instead of a time budget (for callgrind)
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// Cuts `s` to at most `n` bytes on a UTF-8 boundary.
std::string cut(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// ~1 KB JSONL items from the corpora's real news feeds, plus the offline demo samples (which
// carry the positives), in a fixed order.
std::vector<std::string> build_items(const fs::path& corpora) {
  std::vector<fs::path> files;
  for (const auto& dir : {corpora / "feeds" / "real", corpora / "feeds" / "rss-parser" / "test" / "input"}) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
  }
  const fs::path samples = fs::path(VIGIA_SOURCE_DIR) / "config" / "samples";
  for (const auto& name : {"noticias-es.xml", "security-en.atom"}) files.push_back(samples / name);
  std::sort(files.begin(), files.end());
  connectors::FeedContext ctx;
  ctx.source = "bench";
  ctx.connector = "file";
  ctx.fetched = Timestamp{std::chrono::milliseconds{1'700'000'000'000}};
  std::vector<std::string> lines;
  for (const auto& f : files) {
    auto parsed = connectors::parse_feed(read_all(f), ctx);
    if (!parsed.ok()) continue;
    for (auto& item : parsed->items) {
      std::size_t left = kItemTextBytes;
      item.title = cut(item.title, left);
      left -= item.title.size();
      item.summary = cut(item.summary, left);
      left -= item.summary.size();
      item.content = cut(item.content, left);
      lines.push_back(encode_item(item));
    }
  }
  std::ifstream wire(samples / "wire.jsonl");
  for (std::string line; std::getline(wire, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// A rule set of `n` patterns made of the items' own words, so that it matches like real rules do
// (mostly not, sometimes), written as a rule file into `dir`.
fs::path generate_rules(const std::vector<std::string>& items, std::size_t n, const fs::path& dir) {
  std::set<std::string> vocabulary;
  for (const auto& line : items) {
    auto item = decode_item(line);
    if (!item) continue;
    std::string word;
    for (char c : rules::fold(item->title + " " + item->summary)) {
      if (c >= 'a' && c <= 'z') {
        word.push_back(c);
      } else {
        if (word.size() >= 5) vocabulary.insert(word);
        word.clear();
      }
    }
  }
  const std::vector<std::string> words(vocabulary.begin(), vocabulary.end());
  std::mt19937 rng(42);
  auto pick = [&] { return words[rng() % words.size()]; };
  std::ostringstream yaml;
  yaml << "rules:\n";
  for (std::size_t p = 0; p < n; ++p) {
    if (p % 20 == 0) {
      yaml << "  - id: generated-" << p / 20 << "\n    title: Generated rule\n    category: bench\n"
           << "    severity: low\n    threshold: 3\n    patterns:\n";
    }
    yaml << "      - id: p" << p % 20 << "\n";
    switch (p % 50) {
      case 0: yaml << "        regex: '" << pick() << R"(\s+\d+')" << "\n"; break;
      case 1: case 2: yaml << "        terms: [\"" << pick().substr(0, 5) << "*\"]\n"; break;
      default: yaml << "        terms: [\"" << pick() << " " << pick() << "\"]\n";
    }
  }
  fs::create_directories(dir);
  std::ofstream(dir / "generated.yaml") << yaml.str();
  return dir / "generated.yaml";
}

// What another implementation needs to evaluate the same rules: every compiled expression (over
// folded text) and the rules each one feeds.
void export_inputs(const std::vector<std::string>& items, const rules::RuleSet& set, const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream out(dir / "items.jsonl");
  for (const auto& line : items) out << line << '\n';
  JsonWriter w;
  w.begin_object();
  w.field("rules", static_cast<std::uint64_t>(set.rules().size()));
  w.key("expressions").begin_array();
  for (const auto& e : set.expressions()) {
    w.begin_object();
    w.field("regex", e.regex);
    w.field("caseless", (e.flags & 1u) != 0);  // HS_FLAG_CASELESS
    w.key("rules").begin_array();
    std::set<std::uint32_t> rules_fed;
    for (const auto& t : e.patterns) rules_fed.insert(t.rule);
    for (const auto& t : e.entries) {
      for (auto r : set.list_users(t.list)) rules_fed.insert(r);
    }
    for (auto r : rules_fed) w.value(static_cast<std::uint64_t>(r));
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  std::ofstream(dir / "expressions.json") << w.str();
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!v) return false;
    ++i;
    if (a == "--rules") o.rules = v;
    else if (a == "--corpora") o.corpora = v;
    else if (a == "--seconds") o.seconds = std::atof(v);
    else if (a == "--patterns") o.patterns = static_cast<std::size_t>(std::atol(v));
    else if (a == "--export") o.export_dir = v;
    else if (a == "--rounds") o.rounds = static_cast<std::size_t>(std::atol(v));
    else return false;
  }
  if (o.rules.empty()) o.rules = fs::path(VIGIA_SOURCE_DIR) / "rules" / "packs";
  if (o.corpora.empty()) {
    const char* env = std::getenv("VIGIA_CORPORA");
    o.corpora = env && *env ? fs::path(env) : fs::path(VIGIA_SOURCE_DIR).parent_path() / "shared" / "corpora";
  }
  return o.seconds > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::cerr << "usage: scan_bench [--rules PATH] [--corpora DIR] [--seconds S] [--patterns N] [--rounds N] [--export DIR]\n";
    return 2;
  }
  const std::vector<std::string> items = build_items(opt.corpora);
  if (items.size() < 100) {
    std::cerr << "scan_bench: too few items under " << opt.corpora.string() << " (" << items.size() << ")\n";
    return 1;
  }
  fs::path rules_path = opt.rules;
  if (opt.patterns > 0) rules_path = generate_rules(items, opt.patterns, fs::temp_directory_path() / "vigia-scan-bench");
  auto loaded = rules::load_rule_set({rules_path});
  if (!loaded.rules) {
    std::cerr << loaded.diagnostics.to_text();
    return 1;
  }
  const auto& set = *loaded.rules;
  if (!opt.export_dir.empty()) export_inputs(items, set, opt.export_dir);

  std::size_t bytes_per_round = 0;
  for (const auto& l : items) bytes_per_round += l.size() + 1;
  std::printf("scan throughput, single thread: %zu items (%.0f bytes of JSON each on average), rules %s\n",
              items.size(), static_cast<double>(bytes_per_round) / static_cast<double>(items.size()),
              opt.patterns > 0 ? "generated" : rules_path.string().c_str());
  std::printf("rule set: %zu rules, %zu expressions, compiled in %.2f s\n", set.rules().size(), set.expressions().size(),
              set.compile_seconds());

  rules::Scorer scorer(loaded.rules);
  std::string out;
  std::size_t scored = 0;
  std::size_t hits = 0;
  std::size_t rounds = 0;
  double elapsed = 0;
  const auto start = std::chrono::steady_clock::now();
  do {
    for (const auto& line : items) {
      auto item = decode_item(line);
      if (!item) continue;
      rules::ScoreResult r = scorer.score(*item);
      ++scored;
      if (r.matches.empty()) continue;
      ++hits;
      out = encode_hit(Hit{std::move(*item), std::move(r.matches), std::move(r.entities)});
    }
    ++rounds;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (opt.rounds > 0 ? rounds < opt.rounds : elapsed < opt.seconds);
  const double items_per_s = static_cast<double>(scored) / elapsed;
  const double mb_per_s = static_cast<double>(bytes_per_round * rounds) / elapsed / 1e6;
  std::printf("%zu rounds in %.2f s: %.0f items/s, %.1f MB/s of JSON, %zu items with hits per round\n", rounds, elapsed,
              items_per_s, mb_per_s, hits / rounds);
  std::printf("RESULT rules=%zu expressions=%zu items=%zu bytes=%zu seconds=%.3f items_per_s=%.0f mb_per_s=%.2f hits=%zu\n",
              set.rules().size(), set.expressions().size(), items.size(), bytes_per_round, elapsed, items_per_s,
              mb_per_s, hits / rounds);
  return 0;
}
