#include <catch2/catch.hpp>

#include "connector_test_util.h"

#include <filesystem>
#include <memory>

#include "support/log_capture.h"
#include "sample_feeds.h"
#include "support/test_paths.h"
#include "vigia/connectors/connector.h"
#include "vigia/core/codec.h"
#include "vigia/core/hash.h"

using namespace vigia;
using namespace vigia::connectors;
using vigia::test::CollectingWriter;
using vigia::test::kNow;

namespace {

ConnectorPtr file_connector(const std::filesystem::path& path, const std::string& format = "auto") {
  ConnectorRegistry registry;
  register_builtin_connectors(registry);
  const ConnectorKind* kind = registry.find("file");
  REQUIRE(kind != nullptr);
  FeedSpec spec;
  spec.name = "archivo";
  spec.type = "file";
  spec.settings = defaults_of(kind->schema);
  spec.settings.set("path", path.string());
  spec.settings.set("format", format);
  return kind->create(spec, ConnectorServices{nullptr, std::make_shared<ManualClock>(kNow)});
}

Result<PollReport> poll(Connector& c, CollectingWriter& out) { return c.poll(out, std::stop_source().get_token()); }

std::string jsonl_line(const std::string& title, const std::string& url) {
  Item item;
  item.title = title;
  item.url = url;
  return encode_item(item) + "\n";
}

}  // namespace

TEST_CASE("the file connector reads a directory's feeds and JSONL in name order, ignoring other files",
          "[connectors][file]") {
  test::TempDir dir;
  test::write_file(dir / "a-rss.xml", test::feeds::kRssSpanish);
  test::write_file(dir / "b-atom.atom", test::feeds::kAtomEnglish);
  test::write_file(dir / "c-items.jsonl", jsonl_line("Desde JSONL", "https://j.example/1") + "\n" +
                                              jsonl_line("Otra línea", "https://j.example/2"));
  test::write_file(dir / "notes.txt", "not a feed");
  std::filesystem::create_directory(dir / "sub.xml");  // a directory, even with a feed's extension

  auto c = file_connector(dir.path());
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == 7);
  CHECK(r->skipped == 0);
  REQUIRE(out.items.size() == 7);
  CHECK(out.items[0].title == "Detienen a 3 presuntos integrantes de célula delictiva en Culiacán");
  CHECK(out.items[3].title == "Cartel violence & displacement in Michoacán");
  CHECK(out.items[5].title == "Desde JSONL");
  for (const auto& item : out.items) {
    CHECK(item.source == "archivo");
    CHECK(item.connector == "file");
    CHECK(item.fetched == kNow);
  }
  CHECK(out.items[5].id == stable_id("https://j.example/1"));
  CHECK(out.items[5].published == kNow);
  CHECK(out.items[5].published_is_fetch_time);
}

TEST_CASE("the file connector logs a bad JSONL line as path:line and skips it", "[connectors][file][jsonl]") {
  test::TempDir dir;
  const auto path = dir / "items.jsonl";
  test::write_file(path, jsonl_line("Primera", "https://j.example/1") + "{\"title\": \"sin cerrar\"\n" +
                             "{\"title\": 42}\n" + jsonl_line("Cuarta", "https://j.example/4"));
  test::LogCapture log;
  auto c = file_connector(path);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == 2);
  CHECK(r->skipped == 2);
  REQUIRE(out.items.size() == 2);
  CHECK(out.items[1].title == "Cuarta");
  const std::string text = log.text();
  CHECK_THAT(text, Catch::Contains(path.string() + ":2: json:"));
  CHECK_THAT(text, Catch::Contains(path.string() + ":3: schema:"));
}

TEST_CASE("JSONL items keep their own id and date but take the feed's source", "[connectors][file][jsonl]") {
  test::TempDir dir;
  Item item;
  item.id = "0123456789abcdef0123456789abcdef";
  item.source = "elsewhere";
  item.title = "Con fecha";
  item.published = parse_rfc3339("2024-01-02T03:04:05Z");
  test::write_file(dir / "x.jsonl", encode_item(item) + "\r\n");
  auto c = file_connector(dir / "x.jsonl");
  CollectingWriter out;
  REQUIRE(poll(*c, out).ok());
  REQUIRE(out.items.size() == 1);
  CHECK(out.items[0].id == "0123456789abcdef0123456789abcdef");
  CHECK(out.items[0].source == "archivo");
  CHECK(format_rfc3339(*out.items[0].published) == "2024-01-02T03:04:05Z");
  CHECK_FALSE(out.items[0].published_is_fetch_time);
}

TEST_CASE("the file connector re-reads only files that changed", "[connectors][file]") {
  test::TempDir dir;
  test::write_file(dir / "a.rss", test::feeds::kRdf);
  auto c = file_connector(dir.path());
  CollectingWriter out;
  REQUIRE(poll(*c, out).ok());
  CHECK(out.items.size() == 2);

  auto again = poll(*c, out);
  REQUIRE(again.ok());
  CHECK(again->not_modified);
  CHECK(out.items.size() == 2);

  test::write_file(dir / "b.jsonl", jsonl_line("Nueva", "https://j.example/n"));
  auto added = poll(*c, out);
  REQUIRE(added.ok());
  CHECK_FALSE(added->not_modified);
  CHECK(added->items == 1);
  CHECK(out.items.back().title == "Nueva");
}

TEST_CASE("a broken file fails the poll once, after the other files were read", "[connectors][file]") {
  test::TempDir dir;
  test::write_file(dir / "a.xml", "<html><body>no</body></html>");
  test::write_file(dir / "b.xml", test::feeds::kRdf);
  auto c = file_connector(dir.path());
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "parse");
  CHECK_THAT(r.error().message, Catch::StartsWith("feed 'archivo': ") && Catch::Contains("a.xml") &&
                                    Catch::Contains("not a feed"));
  CHECK(out.items.size() == 2);  // b.xml still delivered
  auto again = poll(*c, out);
  REQUIRE(again.ok());  // unchanged since: not reported again
  CHECK(again->not_modified);
}

TEST_CASE("the file connector reports a missing path and a bad format setting", "[connectors][file]") {
  test::TempDir dir;
  CollectingWriter out;
  auto missing = poll(*file_connector(dir / "nope"), out);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().reason == "io");
  CHECK_THAT(missing.error().message, Catch::Contains("nope"));

  test::write_file(dir / "a.xml", test::feeds::kRdf);
  auto bad_format = poll(*file_connector(dir / "a.xml", "yaml"), out);
  REQUIRE_FALSE(bad_format.ok());
  CHECK(bad_format.error().reason == "config");
}

TEST_CASE("a forced format refuses files of another format", "[connectors][file]") {
  test::TempDir dir;
  test::write_file(dir / "a.xml", test::feeds::kRssSpanish);
  CollectingWriter out;
  auto r = poll(*file_connector(dir / "a.xml", "atom"), out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "parse");
  CHECK(poll(*file_connector(dir / "a.xml", "rss"), out).ok());
}

TEST_CASE("format jsonl reads any file name as JSON lines", "[connectors][file][jsonl]") {
  test::TempDir dir;
  test::write_file(dir / "dump.txt", jsonl_line("Uno", "https://j.example/u"));
  CollectingWriter out;
  auto r = poll(*file_connector(dir / "dump.txt", "jsonl"), out);
  REQUIRE(r.ok());
  CHECK(r->items == 1);
}
