// Smoke test over real news feeds, read in place from the shared corpora (never copied here).
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>

#include "support/test_paths.h"
#include "vigia/connectors/feed_parser.h"

using namespace vigia;
using namespace vigia::connectors;

namespace {

// Item counts per file from the corpus's own SOURCES.md table: | `dir/file.xml` | outlet | lang | items | ...
std::map<std::string, std::size_t> expected_counts(const std::filesystem::path& sources_md) {
  std::map<std::string, std::size_t> out;
  if (!std::filesystem::exists(sources_md)) return out;
  const std::string text = test::read_file(sources_md);
  const std::regex row(R"(\| `([^`]+\.xml)` \| [^|]+\| [a-z]+ \| (\d+) \|)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), row); it != std::sregex_iterator(); ++it) {
    out[(*it)[1]] = static_cast<std::size_t>(std::stoul((*it)[2]));
  }
  return out;
}

}  // namespace

TEST_CASE("every real feed in the corpus parses, and the well-formed ones yield titled items", "[connectors][corpus]") {
  const auto root = test::corpora_dir();
  if (!root) return;
  const auto dir = *root / "feeds" / "real";
  if (!std::filesystem::is_directory(dir)) {
    WARN("SKIP: " << dir.string() << " not found");
    return;
  }
  const auto expected = expected_counts(dir / "SOURCES.md");

  std::size_t files = 0, well_formed = 0, recovered = 0, items = 0, untitled = 0, count_matches = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".xml") continue;
    ++files;
    const std::string rel = std::filesystem::relative(entry.path(), dir).generic_string();
    INFO(rel);
    FeedContext ctx;
    ctx.source = entry.path().stem().string();
    ctx.connector = "file";
    ctx.fetched = *parse_rfc3339("2024-01-01T00:00:00Z");
    auto parsed = parse_feed(test::read_file(entry.path()), ctx);
    REQUIRE(parsed.ok());
    items += parsed->items.size();
    for (const auto& item : parsed->items) {
      if (item.title.empty()) ++untitled;
      CHECK(item.id.size() == 32);
      // Markup and entities must not leak into the plain text.
      CHECK(item.title.find("CDATA") == std::string::npos);
      CHECK(item.summary.find("&nbsp;") == std::string::npos);
      CHECK(item.content.find("</p>") == std::string::npos);
    }
    if (parsed->well_formed) {
      ++well_formed;
      CHECK_FALSE(parsed->items.empty());
      for (const auto& item : parsed->items) CHECK_FALSE(item.title.empty());
      if (auto it = expected.find(rel); it != expected.end()) {
        CHECK(parsed->items.size() == it->second);
        if (parsed->items.size() == it->second) ++count_matches;
      }
    } else {
      ++recovered;
      UNSCOPED_INFO(rel << " recovered: " << parsed->problem);
      CHECK_FALSE(parsed->items.empty());
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  std::cout << "corpus feeds/real: " << files << " files, " << well_formed << " well-formed (" << count_matches
            << " with the item count SOURCES.md lists), " << recovered << " recovered, " << items << " items, "
            << untitled << " untitled, " << ms << " ms\n";
  CHECK(files > 0);
}
