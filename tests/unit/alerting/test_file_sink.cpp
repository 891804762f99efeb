#include <catch2/catch.hpp>

#include <simdjson.h>

#include "alert_text.h"
#include "alerting_test_util.h"
#include "support/test_paths.h"
#include "vigia/core/codec.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;
using vigia::test::TempDir;

TEST_CASE("file sink appends one Alert JSON line per alert in jsonl format", "[alerting][file]") {
  TempDir dir;
  const auto path = dir / "alerts/2024/alerts.jsonl";  // parent directories do not exist yet
  SinkSpec spec = make_spec("archive", "file");
  spec.settings.set("path", path.string());
  auto sink = create_sink(spec);

  Alert second = sample_alert();
  second.id = "ffffffffffffffffffffffffffffffff";
  REQUIRE(sink->deliver(sample_alert()).outcome == Delivery::kDelivered);
  REQUIRE(sink->deliver(second).outcome == Delivery::kDelivered);

  const auto lines = read_lines(path.string());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == encode_alert(sample_alert()));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(lines[1]).get(doc) == simdjson::SUCCESS);
  std::string_view id;
  REQUIRE(doc["id"].get_string().get(id) == simdjson::SUCCESS);
  CHECK(id == second.id);
}

TEST_CASE("file sink in text format writes the same block the console shows", "[alerting][file]") {
  TempDir dir;
  const auto path = dir / "alerts.txt";
  SinkSpec spec = make_spec("officer-log", "file");
  spec.settings.set("path", path.string());
  spec.settings.set("format", std::string("text"));
  auto sink = create_sink(spec);
  REQUIRE(sink->deliver(sample_alert()).outcome == Delivery::kDelivered);
  REQUIRE(sink->deliver(sample_alert()).outcome == Delivery::kDelivered);

  const std::string text = vigia::test::read_file(path);
  CHECK(text == render_alert_text(sample_alert()) + render_alert_text(sample_alert()));
  CHECK(text.find("[HIGH] cartels") != std::string::npos);
  CHECK(text.find("[[CJNG]]") != std::string::npos);
  CHECK(text.find("entities: cartels: CJNG") != std::string::npos);
  CHECK(text.find("link: https://www.eluniversal.com.mx/") != std::string::npos);
}

TEST_CASE("file sink reports an unwritable path as a retryable io failure", "[alerting][file]") {
  TempDir dir;
  vigia::test::write_file(dir / "not-a-dir", "x");
  SinkSpec spec = make_spec("archive", "file");
  spec.settings.set("path", (dir / "not-a-dir/alerts.jsonl").string());
  const DeliveryResult r = create_sink(spec)->deliver(sample_alert());
  CHECK(r.outcome == Delivery::kRetry);
  CHECK(r.reason == "io");
  CHECK(r.message.find("not-a-dir") != std::string::npos);
}

TEST_CASE("file sink refuses an unknown format or an empty path at creation", "[alerting][file]") {
  SinkSpec spec = make_spec("archive", "file");
  spec.settings.set("path", std::string("/tmp/x.log"));
  spec.settings.set("format", std::string("xml"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("'jsonl' or 'text'"));
  spec.settings.set("format", std::string("jsonl"));
  spec.settings.set("path", std::string(""));
  CHECK_THROWS_AS(create_sink(spec), std::invalid_argument);
}
