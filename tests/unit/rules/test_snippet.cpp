#include <catch2/catch.hpp>

#include "vigia/rules/scorer.h"

using vigia::rules::make_snippet;

TEST_CASE("snippets mark the match and keep short text whole", "[rules][snippet]") {
  const std::string t = "Reparten despensas del CJNG en Jalisco";
  CHECK(make_snippet(t, 9, 18) == "Reparten [[despensas]] del CJNG en Jalisco");
}

TEST_CASE("snippets cut long text at spaces and mark the cuts", "[rules][snippet]") {
  std::string t(200, 'x');
  t.replace(50, 1, " ");
  t.replace(150, 1, " ");
  t.replace(100, 5, "match");
  const std::string s = make_snippet(t, 100, 105, 60);
  CHECK(s.rfind("…", 0) == 0);
  CHECK(s.find("[[match]]") != std::string::npos);
  CHECK(s.size() < t.size());
  CHECK(s.substr(s.size() - 3) == "…");
}

TEST_CASE("snippets never split a UTF-8 character and flatten newlines", "[rules][snippet]") {
  const std::string t = "ññññññññññ\nCJNG\nññññññññññ";
  const std::string s = make_snippet(t, t.find("CJNG"), t.find("CJNG") + 4, 5);
  CHECK(s.find("[[CJNG]]") != std::string::npos);
  CHECK(s.find('\n') == std::string::npos);
  // Every byte sequence is valid UTF-8: no stray continuation byte right after the ellipsis.
  const auto after = s.find("…") + 3;
  CHECK((static_cast<unsigned char>(s[after]) & 0xC0) != 0x80);
}
