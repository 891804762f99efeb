#include <catch2/catch.hpp>

#include <sstream>

#include "alert_text.h"
#include "alerting_test_util.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("console sink prints a compact block with severity, rule, article, snippets, entities and link",
          "[alerting][console]") {
  std::ostringstream out;
  SinkServices services;
  services.console = &out;
  auto sink = create_sink(make_spec("screen", "console"), services);
  REQUIRE(sink->deliver(sample_alert()).outcome == Delivery::kDelivered);

  const std::string expected =
      "[HIGH] cartels · score 8.5 · cjng-activity — Actividad del Cártel Jalisco Nueva Generación\n"
      "  [[Detienen]] a presuntos integrantes del [[CJNG]] en Salamanca\n"
      "  El Universal · published 2024-05-03 12:00 UTC\n"
      "  entities: cartels: CJNG · places_mx: Guanajuato, Salamanca\n"
      "  link: https://www.eluniversal.com.mx/estados/detienen-cjng-salamanca/\n"
      "\n";
  CHECK(out.str() == expected);
  CHECK(out.str().find('\x1b') == std::string::npos);  // plain text, no colours
}

TEST_CASE("console blocks stay between five and eight lines whatever the alert holds", "[alerting][console]") {
  Alert busy = sample_alert();
  for (std::size_t i = 0; i < 6; ++i) {
    busy.snippets.push_back({"p" + std::to_string(i), "content", i * 200, i * 200 + 1, "passage [[" + std::to_string(i) + "]]"});
  }
  const auto busy_lines = lines_of(render_alert_text(busy));
  CHECK(busy_lines.size() == 8 + 1);  // 8 lines and the separator
  CHECK(busy_lines[5].find("(+3 more)") != std::string::npos);

  Alert bare = sample_alert();
  bare.snippets.clear();
  bare.entities.clear();
  bare.item.published.reset();
  const std::string text = render_alert_text(bare);
  CHECK(lines_of(text).size() == 4 + 1);
  CHECK(text.find("fetched 2024-05-03 12:04 UTC (no publication date)") != std::string::npos);
}

TEST_CASE("console rendering strips terminal control sequences and line breaks from feed text", "[alerting][console]") {
  Alert evil = sample_alert();
  evil.item.title = "Normal title\x1b[2J\x1b]0;pwned\x07\nFAKE LINE\r";
  evil.snippets = {{"p", "content", 0, 1,
                    "a\tb\n\n[[c]]\xc2\x9b"
                    "31m d"}};
  const std::string text = render_alert_text(evil);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find("\xc2\x9b") == std::string::npos);
  CHECK(text.find("  Normal title [2J ]0;pwned FAKE LINE\n") != std::string::npos);
  CHECK(text.find("  > content: a b [[c]] 31m d\n") != std::string::npos);
}

TEST_CASE("console rendering keeps accents intact when it shortens a long title", "[alerting][console]") {
  Alert long_title = sample_alert();
  long_title.item.title.clear();
  for (int i = 0; i < 200; ++i) long_title.item.title += "é";  // 400 bytes of two-byte characters
  const auto lines = lines_of(render_alert_text(long_title));
  REQUIRE(lines.size() > 2);
  const std::string& shown = lines[1];
  CHECK(shown.size() < 320);
  CHECK(shown.substr(shown.size() - 3) == "…");
  CHECK(shown.substr(shown.size() - 5, 2) == "é");  // the cut fell between characters
}

TEST_CASE("console shows one snippet per passage, not one per matched term", "[alerting][console]") {
  Alert a = sample_alert();
  a.snippets.push_back({"aid", "summary", 10, 19, "Reparten [[despensas]] con el logo del CJNG"});
  a.snippets.push_back({"logo", "summary", 20, 32, "Reparten despensas [[con el logo]] del CJNG"});
  a.snippets.push_back({"place", "summary", 400, 407, "…más tarde en [[Jalisco]]"});
  const std::string text = render_alert_text(a);
  CHECK(text.find("  > summary: Reparten [[despensas]] con el logo del CJNG\n") != std::string::npos);
  CHECK(text.find("[[con el logo]]") == std::string::npos);  // the same passage, already on screen
  CHECK(text.find("  > summary: …más tarde en [[Jalisco]]\n") != std::string::npos);
}

TEST_CASE("console leaves a title unmarked rather than cut when offsets do not fit it", "[alerting][console]") {
  Alert a = sample_alert();
  a.snippets = {{"x", "title", 40, 400, "x"}};
  CHECK(render_alert_text(a).find("  Detienen a presuntos integrantes del CJNG en Salamanca\n") != std::string::npos);
}
