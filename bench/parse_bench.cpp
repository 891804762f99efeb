// Parse throughput of parse_feed() per format (RSS incl. RSS 1.0/RDF, Atom, JSON Feed) over the
// feed documents of the shared corpora, read in place. Single-threaded: each format's files are
// parsed round after round until a time budget is spent, and the bench prints MB/s and items/s.
// Files that do not parse as a feed (the corpora's must-fail fixtures) are left out and counted.
//
//   parse_bench [--corpora DIR] [--seconds S] [--list FILE] [--only FORMAT]
//     --corpora  the corpora root (default: $VIGIA_CORPORA, else ../shared/corpora beside the
//                source tree this was built from)
//     --seconds  minimum measuring time per format (default 3)
//     --only     measure only rss, atom or json (the untimed classification still reads all)
//     --list     also write the files measured, one "format<TAB>path" per line, so another
//                parser can be timed on exactly the same inputs (bench/parse_vs_feedparser.sh)
//
// Output: a table, then one machine-readable line per format:
//   RESULT format=rss files=N bytes=B items=I rounds=R seconds=S mb_per_s=X items_per_s=Y
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "vigia/connectors/feed_parser.h"

namespace fs = std::filesystem;
using vigia::connectors::FeedContext;
using vigia::connectors::FeedFormat;
using vigia::connectors::parse_feed;

namespace {

struct Input {
  fs::path path;
  std::string bytes;
  std::size_t items = 0;
};

struct Options {
  fs::path corpora;
  double seconds = 3.0;
  fs::path list;
  std::string only;  // measure one format only (for profiling)
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool ends_with(const std::string& s, std::string_view suffix) { return s.ends_with(suffix); }

// The feed documents of the corpora: real news captures, rss-parser's inputs, feed-rs fixtures
// and gofeed's parser fixtures. Expected-output JSON beside the inputs is not a feed and is
// skipped by name.
std::vector<fs::path> corpus_files(const fs::path& root) {
  std::vector<fs::path> out;
  auto add_dir = [&](const fs::path& dir, bool recursive, auto accept) {
    if (!fs::is_directory(dir)) return;
    auto visit = [&](const fs::directory_entry& e) {
      if (e.is_regular_file() && accept(e.path().filename().string())) out.push_back(e.path());
    };
    if (recursive) {
      for (const auto& e : fs::recursive_directory_iterator(dir)) visit(e);
    } else {
      for (const auto& e : fs::directory_iterator(dir)) visit(e);
    }
  };
  const fs::path feeds = root / "feeds";
  add_dir(feeds / "real", true, [](const std::string& n) { return ends_with(n, ".xml"); });
  add_dir(feeds / "rss-parser" / "test" / "input", false, [](const std::string& n) {
    return ends_with(n, ".rss") || ends_with(n, ".atom") || ends_with(n, ".xml");
  });
  for (const char* sub : {"rss0", "rss1", "rss2", "atom", "jsonfeed"}) {
    add_dir(feeds / "feed-rs" / "feed-rs" / "fixture" / sub, false, [](const std::string& n) {
      return ends_with(n, ".xml") || (ends_with(n, ".json") && !ends_with(n, ".serde.json"));
    });
  }
  for (const char* sub : {"rss", "atom"}) {
    add_dir(feeds / "gofeed" / "testdata" / "parser" / sub, false, [](const std::string& n) { return ends_with(n, ".xml"); });
  }
  add_dir(feeds / "gofeed" / "testdata" / "parser" / "json", false,
          [](const std::string& n) { return ends_with(n, ".json") && !ends_with(n, "_expected.json"); });
  std::sort(out.begin(), out.end());
  return out;
}

// RSS 1.0 (RDF) is reported with RSS: one vocabulary, one code path.
std::string group_of(FeedFormat f) {
  switch (f) {
    case FeedFormat::kAtom: return "atom";
    case FeedFormat::kRss:
    case FeedFormat::kRdf: return "rss";
    default: return "json";
  }
}

FeedContext bench_context() {
  FeedContext ctx;
  ctx.source = "bench";
  ctx.connector = "file";
  ctx.fetched = vigia::Timestamp{std::chrono::milliseconds{1'700'000'000'000}};
  return ctx;
}

bool parse_args(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--corpora") {
      const char* v = value();
      if (!v) return false;
      o.corpora = v;
    } else if (a == "--seconds") {
      const char* v = value();
      if (!v) return false;
      o.seconds = std::atof(v);
    } else if (a == "--list") {
      const char* v = value();
      if (!v) return false;
      o.list = v;
    } else if (a == "--only") {
      const char* v = value();
      if (!v) return false;
      o.only = v;
    } else {
      return false;
    }
  }
  if (o.corpora.empty()) {
    if (const char* env = std::getenv("VIGIA_CORPORA"); env && *env) {
      o.corpora = env;
    } else {
      o.corpora = fs::path(VIGIA_SOURCE_DIR).parent_path() / "shared" / "corpora";
    }
  }
  return o.seconds > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::cerr << "usage: parse_bench [--corpora DIR] [--seconds S] [--list FILE] [--only rss|atom|json]\n";
    return 2;
  }
  const auto files = corpus_files(opt.corpora);
  if (files.empty()) {
    std::cerr << "parse_bench: no feed files under " << opt.corpora.string() << "\n";
    return 1;
  }

  // One untimed pass classifies every file by the format parse_feed detects.
  std::map<std::string, std::vector<Input>> by_format = {{"rss", {}}, {"atom", {}}, {"json", {}}};
  std::size_t refused = 0;
  const FeedContext ctx = bench_context();
  for (const auto& p : files) {
    Input in{p, read_all(p), 0};
    auto parsed = parse_feed(in.bytes, ctx);
    if (!parsed.ok()) {
      ++refused;
      continue;
    }
    in.items = parsed->items.size();
    by_format[group_of(parsed->format)].push_back(std::move(in));
  }
  if (!opt.list.empty()) {
    std::ofstream list(opt.list);
    for (const auto& [format, inputs] : by_format) {
      for (const auto& in : inputs) list << format << '\t' << fs::absolute(in.path).string() << '\n';
    }
  }

  std::printf("parse_feed throughput, single thread, corpora %s (%zu files; %zu not a feed, left out)\n",
              opt.corpora.string().c_str(), files.size(), refused);
  std::printf("%-6s %6s %10s %8s %7s %9s %10s %12s\n", "format", "files", "bytes", "items", "rounds", "seconds",
              "MB/s", "items/s");
  std::vector<std::string> results;
  for (const auto& [format, inputs] : by_format) {
    if (!opt.only.empty() && format != opt.only) continue;
    std::size_t bytes_per_round = 0;
    std::size_t items_per_round = 0;
    for (const auto& in : inputs) {
      bytes_per_round += in.bytes.size();
      items_per_round += in.items;
    }
    std::size_t rounds = 0;
    std::size_t items_seen = 0;
    double elapsed = 0;
    if (!inputs.empty()) {
      const auto start = std::chrono::steady_clock::now();
      do {
        for (const auto& in : inputs) {
          auto parsed = parse_feed(in.bytes, ctx);
          if (parsed.ok()) items_seen += parsed->items.size();
        }
        ++rounds;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      } while (elapsed < opt.seconds);
    }
    const double bytes = static_cast<double>(bytes_per_round) * static_cast<double>(rounds);
    const double mb_per_s = elapsed > 0 ? bytes / 1e6 / elapsed : 0.0;
    const double items_per_s = elapsed > 0 ? static_cast<double>(items_seen) / elapsed : 0.0;
    std::printf("%-6s %6zu %10zu %8zu %7zu %9.2f %10.1f %12.0f\n", format.c_str(), inputs.size(), bytes_per_round,
                items_per_round, rounds, elapsed, mb_per_s, items_per_s);
    char line[256];
    std::snprintf(line, sizeof line,
                  "RESULT format=%s files=%zu bytes=%zu items=%zu rounds=%zu seconds=%.3f mb_per_s=%.2f items_per_s=%.0f",
                  format.c_str(), inputs.size(), bytes_per_round, items_per_round, rounds, elapsed, mb_per_s,
                  items_per_s);
    results.emplace_back(line);
  }
  for (const auto& r : results) std::printf("%s\n", r.c_str());
  return 0;
}
