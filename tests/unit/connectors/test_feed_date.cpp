#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <regex>

#include "support/test_paths.h"
#include "vigia/connectors/feed_date.h"

using namespace vigia;
using namespace vigia::connectors;

namespace {
std::string utc(std::optional<Timestamp> t) { return t ? format_rfc3339(*t) : "nullopt"; }
}  // namespace

TEST_CASE("RFC 822 dates with numeric offsets convert to UTC", "[connectors][dates]") {
  CHECK(utc(parse_rfc822_date("Tue, 14 May 2024 09:30:00 +0000")) == "2024-05-14T09:30:00Z");
  CHECK(utc(parse_rfc822_date("Tue, 14 May 2024 09:30:00 -0600")) == "2024-05-14T15:30:00Z");
  CHECK(utc(parse_rfc822_date("Tue, 14 May 2024 09:30:00 +05:30")) == "2024-05-14T04:00:00Z");
  CHECK(utc(parse_rfc822_date("Tue, 14 May 2024 09:30:00 GMT+2")) == "2024-05-14T07:30:00Z");
}

TEST_CASE("RFC 822 named zones are understood", "[connectors][dates]") {
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 EST")) == "2002-10-02T13:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 EDT")) == "2002-10-02T12:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 CST")) == "2002-10-02T14:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 CDT")) == "2002-10-02T13:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 PDT")) == "2002-10-02T15:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 GMT")) == "2002-10-02T08:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 UT")) == "2002-10-02T08:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 CEST")) == "2002-10-02T06:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 Z")) == "2002-10-02T08:00:00Z");
  // RFC 2822 §4.3: unknown (e.g. military) zones are read as UTC.
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 Q")) == "2002-10-02T08:00:00Z");
  CHECK(utc(parse_rfc822_date("Wed, 02 Oct 2002 08:00:00 +0000 (CET)")) == "2002-10-02T08:00:00Z");
}

TEST_CASE("RFC 822 variants: no day name, no seconds, no time, 2-digit years, 1-digit days", "[connectors][dates]") {
  CHECK(utc(parse_rfc822_date("14 May 2024 09:30:00 GMT")) == "2024-05-14T09:30:00Z");
  CHECK(utc(parse_rfc822_date("Tue, 14 May 2024 09:30 GMT")) == "2024-05-14T09:30:00Z");
  CHECK(utc(parse_rfc822_date("Tue, 14 May 2024")) == "2024-05-14T00:00:00Z");
  CHECK(utc(parse_rfc822_date("Thu, 01 Jan 04 19:48:21 GMT")) == "2004-01-01T19:48:21Z");
  CHECK(utc(parse_rfc822_date("Fri, 01 Jan 99 00:00:00 GMT")) == "1999-01-01T00:00:00Z");
  CHECK(utc(parse_rfc822_date("Thu,  5 Apr 2012 10:00:00 GMT")) == "2012-04-05T10:00:00Z");
  CHECK(utc(parse_rfc822_date("Tue,14 May 2024 09:30:00 +0000")) == "2024-05-14T09:30:00Z");
  CHECK(utc(parse_rfc822_date("Tuesday, 14 May 2024 09:30:00 GMT")) == "2024-05-14T09:30:00Z");
  CHECK(utc(parse_rfc822_date("Sunday, 06-Nov-94 08:49:37 GMT")) == "1994-11-06T08:49:37Z");  // RFC 850
  CHECK(utc(parse_rfc822_date("Sun Nov  6 08:49:37 1994")) == "1994-11-06T08:49:37Z");        // asctime
  CHECK(utc(parse_rfc822_date("Thu Aug 30 2012 17:26:16 +0200")) == "2012-08-30T15:26:16Z");  // JS Date
}

TEST_CASE("broken RFC 822 variants: the zone between time and year, as Twitter writes it", "[connectors][dates]") {
  CHECK(utc(parse_rfc822_date("Sun Jul 15 01:16:00 +0000 2012")) == "2012-07-15T01:16:00Z");
  CHECK(utc(parse_rfc822_date("Sun Jul 15 01:16:00 -0600 2012")) == "2012-07-15T07:16:00Z");
  CHECK_FALSE(parse_rfc822_date("Sun Jul 15 01:16:00 +zz00 2012"));
}

TEST_CASE("Spanish day and month names parse, even where they collide", "[connectors][dates]") {
  CHECK(utc(parse_rfc822_date("Mar, 10 Mar 2020 12:00:00 -0600")) == "2020-03-10T18:00:00Z");
  CHECK(utc(parse_rfc822_date("mié, 15 ene 2025 08:00:00 +0100")) == "2025-01-15T07:00:00Z");
  CHECK(utc(parse_rfc822_date("Sáb, 3 Ago 2024 22:10:00 CST")) == "2024-08-04T04:10:00Z");
}

TEST_CASE("impossible or garbled RFC 822 dates are refused", "[connectors][dates]") {
  CHECK_FALSE(parse_rfc822_date(""));
  CHECK_FALSE(parse_rfc822_date("ayer"));
  CHECK_FALSE(parse_rfc822_date("Sun, 31 Feb 2021 00:00:00 GMT"));
  CHECK(parse_rfc822_date("Thu, 29 Feb 2024 00:00:00 GMT"));  // leap year
  CHECK_FALSE(parse_rfc822_date("Thu, 29 Feb 2023 00:00:00 GMT"));
  CHECK_FALSE(parse_rfc822_date("Sun, 16 Dec 2012 25:00:00 GMT"));
  CHECK_FALSE(parse_rfc822_date("Sun, 16 Dec 2012 11:47:32 +zz:00"));
  CHECK_FALSE(parse_rfc822_date("Sun, 16 zzz 2012 11:47:32 GMT"));
}

TEST_CASE("feed dates take RFC 3339 first, then RFC 822", "[connectors][dates]") {
  CHECK(utc(parse_feed_date("2024-05-16T08:15:00-06:00")) == "2024-05-16T14:15:00Z");
  CHECK(utc(parse_feed_date("  2024-05-16T08:15:00.250Z \n")) == "2024-05-16T08:15:00.250Z");
  CHECK(utc(parse_feed_date("2004-07-08 23:56:58 -00:20")) == "2004-07-09T00:16:58Z");
  CHECK(utc(parse_feed_date("Thu, 16 May 2024 08:15:00 -0600")) == "2024-05-16T14:15:00Z");
  CHECK_FALSE(parse_feed_date(""));
  CHECK_FALSE(parse_feed_date("pronto"));
}

TEST_CASE("W3C-DTF reduced precision gives the first day, impossible offsets are refused", "[connectors][dates]") {
  CHECK(utc(parse_feed_date("2003")) == "2003-01-01T00:00:00Z");
  CHECK(utc(parse_feed_date("2003-12")) == "2003-12-01T00:00:00Z");
  CHECK_FALSE(parse_feed_date("2003-13"));
  CHECK_FALSE(parse_feed_date("9999-12-31T23:59:59-99:99"));
  CHECK_FALSE(parse_feed_date("2024-05-16T08:15:00+24:00"));
  CHECK(utc(parse_feed_date("2024-05-16T08:15:00+23:59")) == "2024-05-15T08:16:00Z");
}

TEST_CASE("feedparser's RFC 822 date vectors parse as expected", "[connectors][dates][corpus]") {
  const auto root = test::corpora_dir();
  if (!root) return;
  const auto path = *root / "feeds" / "feedparser" / "derived" / "date_parser_vectors.jsonl";
  std::ifstream in(path);
  if (!in) {
    WARN("SKIP: " << path.string() << " not found");
    return;
  }
  // {"parser": "rfc822", "input": "...", "expected_utc_struct_time": [y, m, d, H, M, S, ...] | null, ...}
  const std::regex line_re(R"re("parser": "rfc822", "input": "([^"]*)", "expected_utc_struct_time": (null|\[(\d+), (\d+), (\d+), (\d+), (\d+), (\d+)))re");
  std::string line;
  int checked = 0;
  int agreed = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, line_re)) continue;
    const std::string input = m[1];
    const auto got = parse_rfc822_date(input);
    std::string expected = "nullopt";
    if (m[2] != "null") {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", std::stoi(m[3]), std::stoi(m[4]), std::stoi(m[5]),
                    std::stoi(m[6]), std::stoi(m[7]), std::stoi(m[8]));
      expected = buf;
    }
    ++checked;
    if (utc(got) == expected) {
      ++agreed;
    } else {
      UNSCOPED_INFO("input '" << input << "': expected " << expected << ", got " << utc(got));
    }
  }
  std::cout << "feedparser rfc822 vectors: " << agreed << "/" << checked << " agree\n";
  CHECK(checked >= 20);
  CHECK(agreed == checked);
}
