#include "conformance.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <tuple>

#include "support/test_paths.h"
#include "vigia/connectors/feed_date.h"
#include "vigia/connectors/feed_parser.h"
#include "vigia/connectors/html_text.h"
#include "vigia/connectors/url.h"

namespace vigia::conformance {
namespace {

using connectors::FeedContext;
using connectors::FeedFormat;
using connectors::ParsedFeed;
using connectors::TextLayout;
using simdjson::dom::element;

// The subset, spelled out. feedparser suites and wellformed categories that exercise what a news
// item is made of; left out: sanitize (HTML sanitising — we strip HTML to text instead), itunes,
// media-rss, psc, geo, cdf (podcast, geo and channel-definition vocabularies the Item model does
// not carry), sgml (SGML-parser specifics), illformed/chardet (statistical charset guessing for
// CJK/Cyrillic/Thai/Hebrew without any declaration) and illformed/geo.
const std::set<std::string, std::less<>> kFeedparserWellformed = {
    "rss", "rdf", "atom10", "atom", "amp", "base", "lang", "namespace", "xml", "node_precedence", "feedburner", "http"};
const std::set<std::string, std::less<>> kFeedparserSuites = {"wellformed", "entities", "encoding", "illformed"};
// Date vectors: the formats feeds write. Left out: greek, hungarian, nate, onblog (localised
// formats of outlets outside our scope), perforce (a version-control log format), and ISO 8601's
// truncated two-digit-year forms ("031231", "-03-12"), which no feed uses.
const std::set<std::string, std::less<>> kDateParsers = {"rfc822", "w3dtf", "asctime", "iso8601"};

constexpr std::string_view kFetched = "2000-01-01T00:00:00Z";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::string_view(" \t\r\n").find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && std::string_view(" \t\r\n").find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

std::string to_json(element e) { return simdjson::minify(e); }

// What the checks read: our parse of one document.
struct Subject {
  bool ok = false;
  std::string error;
  ParsedFeed feed;
  std::string bytes;  // the document as given, for encoding equivalences
};

Subject parse_subject(std::string bytes, const FeedContext& ctx) {
  Subject s;
  s.bytes = std::move(bytes);
  auto r = connectors::parse_feed(s.bytes, ctx);
  if (r.ok()) {
    s.ok = true;
    s.feed = std::move(r).value();
  } else {
    s.error = r.error().reason + ": " + r.error().message;
  }
  return s;
}

FeedContext base_context() {
  FeedContext ctx;
  ctx.source = "conformance";
  ctx.connector = "file";
  ctx.fetched = *parse_rfc3339(kFetched);
  ctx.keep_empty_entries = true;
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Comparing values. Our model keeps plain text where feedparser keeps (sanitised) HTML and gofeed
// keeps what the document said, so an expected text matches when it equals ours read as plain
// text (our own normalize_text: blanks collapsed, invisible characters dropped, as the Item
// contract wants) or read as HTML (our own html_to_text) — whichever of the two the producer
// meant.

bool same_text(std::string_view ours, std::string_view expected, TextLayout layout) {
  return ours == connectors::normalize_text(expected, layout) || ours == connectors::html_to_text(expected, layout);
}

std::string lang_key(std::string_view lang) {
  std::string out = lower(trim(lang));
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

// Encoding names as families of labels that decode the same bytes the same way. feedparser
// reports "iso-8859-1" where we read windows-1252 (a superset for every character ISO-8859-1
// defines; see feed_parser.h), and "gb18030" for gb2312 (likewise a superset).
std::string encoding_family(std::string_view name) {
  std::string n = lower(trim(name));
  std::replace(n.begin(), n.end(), '_', '-');
  if (n == "utf8") return "utf-8";
  if (n == "iso-8859-1" || n == "iso8859-1" || n == "latin1" || n == "latin-1" || n == "cp1252" || n == "windows-1252") {
    return "windows-1252";
  }
  if (n == "ascii" || n == "us-ascii") return "us-ascii";
  if (n == "gb2312" || n == "gbk" || n == "gb18030") return "gb18030";
  return n;
}

bool all_ascii(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool ascii_compatible(std::string_view family) {
  return !family.starts_with("utf-16") && !family.starts_with("utf-32") && !family.empty();
}

bool same_encoding(std::string_view expected, std::string_view ours, std::string_view bytes) {
  const std::string e = encoding_family(expected);
  const std::string o = encoding_family(ours);
  if (e == o) return true;
  // An all-ASCII document decodes identically under any ASCII-compatible encoding: feedparser
  // names the one RFC 3023 makes the HTTP header choose (us-ascii for text/xml), we name the one
  // we read it with — the text is the same.
  return all_ascii(bytes) && ascii_compatible(e) && ascii_compatible(o);
}

std::optional<FeedFormat> format_of_version(std::string_view version) {
  if (version.starts_with("atom")) return FeedFormat::kAtom;
  if (version == "rss090" || version == "rss10") return FeedFormat::kRdf;
  if (version.starts_with("rss")) return FeedFormat::kRss;
  return std::nullopt;
}

// Expectations are struct_time tuples, whole seconds.
std::string utc_seconds(Timestamp t) { return format_rfc3339(std::chrono::floor<std::chrono::seconds>(t)); }

// ---------------------------------------------------------------------------------------------
// feedparser paths onto our model.

enum class Kind { kTitle, kParagraphs, kExact, kLang, kTime, kCount, kFormat, kEncoding };

struct Field {
  bool mapped = false;
  bool present = false;  // the entry (or feed) exists and the value is not empty
  Kind kind = Kind::kExact;
  std::string text;
  std::optional<Timestamp> time;
  std::size_t count = 0;
  std::optional<FeedFormat> format;
};

struct PathPart {
  std::string key;
  std::int64_t index = -1;
};

std::optional<std::vector<PathPart>> read_path(element path) {
  simdjson::dom::array parts;
  if (path.get(parts)) return std::nullopt;
  std::vector<PathPart> out;
  for (element p : parts) {
    PathPart part;
    std::string_view key;
    std::int64_t index = 0;
    simdjson::dom::object get;
    if (!p.get(key)) {
      part.key = std::string(key);
    } else if (!p.get(index)) {
      part.index = index;
    } else if (!p.get(get)) {
      std::string_view k;
      if (get["get"].get(k)) return std::nullopt;
      part.key = std::string(k);  // .get(key) reads like [key] for our purposes
    } else {
      return std::nullopt;
    }
    out.push_back(std::move(part));
  }
  return out;
}

Field text_field(Kind kind, bool exists, std::string text) {
  Field f;
  f.mapped = true;
  f.kind = kind;
  f.present = exists && !text.empty();
  f.text = std::move(text);
  return f;
}

Field time_field(bool exists, const Item* item) {
  Field f;
  f.mapped = true;
  f.kind = Kind::kTime;
  if (exists && item != nullptr && item->published && !item->published_is_fetch_time) {
    f.present = true;
    f.time = item->published;
  }
  return f;
}

bool key_in(std::string_view key, std::initializer_list<std::string_view> keys) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

Field resolve(const Subject& s, const std::vector<PathPart>& p) {
  const ParsedFeed& feed = s.feed;
  Field unmapped;
  if (p.empty() || p[0].key.empty()) return unmapped;
  const std::string& head = p[0].key;
  if (p.size() == 1 && head == "encoding") return text_field(Kind::kEncoding, s.ok, feed.encoding);
  if (p.size() == 1 && head == "version") {
    Field f;
    f.mapped = true;
    f.kind = Kind::kFormat;
    f.present = s.ok;
    if (s.ok) f.format = feed.format;
    return f;
  }
  if (head == "feed" || head == "channel") {
    if (p.size() == 2 && p[1].key == "title") return text_field(Kind::kTitle, s.ok, feed.title);
    if (p.size() == 2 && p[1].key == "link") return text_field(Kind::kExact, s.ok, feed.link);
    if (p.size() == 2 && p[1].key == "language") return text_field(Kind::kLang, s.ok, feed.lang);
    if (p.size() == 3 && p[1].key == "title_detail" && p[2].key == "value") return text_field(Kind::kTitle, s.ok, feed.title);
    return unmapped;
  }
  if (head != "entries" && head != "items") return unmapped;
  if (p.size() == 1) {
    Field f;
    f.mapped = true;
    f.kind = Kind::kCount;
    f.present = s.ok;
    f.count = s.ok ? feed.items.size() : 0;
    return f;
  }
  if (p[1].index < 0 || p.size() < 3) return unmapped;
  const auto i = static_cast<std::size_t>(p[1].index);
  const bool exists = s.ok && i < feed.items.size();
  const Item* item = exists ? &feed.items[i] : nullptr;
  auto str = [&](std::string Item::*member) { return item ? item->*member : std::string(); };
  auto nth = [&](const std::vector<std::string> Item::*member, std::int64_t j) {
    if (item == nullptr || j < 0 || static_cast<std::size_t>(j) >= (item->*member).size()) return std::string();
    return (item->*member)[static_cast<std::size_t>(j)];
  };
  const std::string& k = p[2].key;
  if (p.size() == 3) {
    if (k == "title") return text_field(Kind::kTitle, exists, str(&Item::title));
    if (k == "link") return text_field(Kind::kExact, exists, str(&Item::url));
    if (k == "id" || k == "guid") return text_field(Kind::kExact, exists, exists ? feed.guids[i] : std::string());
    if (k == "description" || k == "summary") return text_field(Kind::kParagraphs, exists, str(&Item::summary));
    if (key_in(k, {"published_parsed", "issued_parsed", "updated_parsed", "modified_parsed", "date_parsed"})) {
      return time_field(exists, item);
    }
    if (k == "category") return text_field(Kind::kTitle, exists, nth(&Item::tags, 0));
    if (k == "language") return text_field(Kind::kLang, exists, str(&Item::lang));
    return unmapped;
  }
  if (p.size() == 4) {
    const std::string& k2 = p[3].key;
    if ((k == "title_detail") && k2 == "value") return text_field(Kind::kTitle, exists, str(&Item::title));
    if ((k == "summary_detail" || k == "description_detail") && k2 == "value") {
      return text_field(Kind::kParagraphs, exists, str(&Item::summary));
    }
    if (k == "author_detail" && k2 == "name") return text_field(Kind::kTitle, exists, nth(&Item::authors, 0));
    return unmapped;
  }
  if (p.size() == 5 && p[3].index >= 0) {
    const std::string& k3 = p[4].key;
    if (k == "content" && p[3].index == 0 && k3 == "value") return text_field(Kind::kParagraphs, exists, str(&Item::content));
    if (k == "authors" && k3 == "name") return text_field(Kind::kTitle, exists, nth(&Item::authors, p[3].index));
    if (k == "tags" && k3 == "term") return text_field(Kind::kTitle, exists, nth(&Item::tags, p[3].index));
  }
  return unmapped;
}

// Does `f` equal the expected JSON value?
CheckOutcome equals(const Subject& s, const Field& f, element value) {
  CheckOutcome out;
  const std::string want = to_json(value);
  auto fail = [&](std::string got) {
    out.passed = false;
    out.detail = "expected " + want + ", got " + got;
    return out;
  };
  out.passed = true;
  if (value.is_null()) {
    if (f.present) return fail("'" + f.text + "'");
    return out;
  }
  switch (f.kind) {
    case Kind::kTime: {
      simdjson::dom::array tuple;
      if (value.get(tuple) || tuple.size() < 6) return fail("(unreadable expectation)");
      std::array<std::int64_t, 6> v{};
      for (std::size_t j = 0; j < 6; ++j) {
        if (tuple.at(j).get(v[j])) return fail("(unreadable expectation)");
      }
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", static_cast<int>(v[0]), static_cast<int>(v[1]),
                    static_cast<int>(v[2]), static_cast<int>(v[3]), static_cast<int>(v[4]), static_cast<int>(v[5]));
      if (!f.present) return fail("no date");
      if (utc_seconds(*f.time) != buf) return fail(utc_seconds(*f.time));
      return out;
    }
    case Kind::kCount: {
      std::int64_t n = 0;
      if (value.get(n)) return fail("(unreadable expectation)");
      if (static_cast<std::int64_t>(f.count) != n) return fail(std::to_string(f.count));
      return out;
    }
    case Kind::kFormat: {
      std::string_view v;
      if (value.get(v)) return fail("(unreadable expectation)");
      const auto expected = format_of_version(v);
      if (!expected) {
        out.mapped = false;
        return out;
      }
      if (!f.format || *f.format != *expected) {
        return fail(f.format ? std::string(connectors::feed_format_name(*f.format)) : "no feed");
      }
      return out;
    }
    default: break;
  }
  std::string_view v;
  if (value.get(v)) {
    out.mapped = false;  // a non-string value for a text field: not a shape our model has
    return out;
  }
  bool same = false;
  switch (f.kind) {
    case Kind::kTitle: same = same_text(f.text, v, TextLayout::kLine); break;
    case Kind::kParagraphs: same = same_text(f.text, v, TextLayout::kParagraphs); break;
    case Kind::kLang: same = lang_key(f.text) == lang_key(v); break;
    case Kind::kEncoding: same = same_encoding(v, f.text, s.bytes); break;
    default: same = f.text == trim(v); break;
  }
  if (!same) return fail("'" + f.text + "'");
  return out;
}

std::size_t utf8_length(std::string_view s, char32_t& first) {
  std::size_t n = 0;
  first = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    if (n == 0) {
      char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
      for (std::size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      first = cp;
    }
    i += len;
    ++n;
  }
  return n;
}

CheckOutcome evaluate(const Subject& s, element check) {
  CheckOutcome out;
  std::string_view op;
  if (check["op"].get(op)) {
    out.passed = false;
    out.detail = "unreadable check " + to_json(check);
    return out;
  }
  if (op == "true") {
    out.passed = true;  // "must not crash": we got here
    return out;
  }
  if (op == "bozo") {
    bool want = false;
    if (check["value"].get(want)) {
      out.mapped = false;
      return out;
    }
    const bool ours = !s.ok || !s.feed.well_formed;
    out.passed = ours == want;
    if (!out.passed) {
      out.detail = want ? "expected a recovery (bozo), parsed as well-formed"
                        : "expected well-formed, got: " + (s.ok ? s.feed.problem : s.error);
    }
    return out;
  }
  element path_json;
  if (check["path"].get(path_json)) {
    out.mapped = false;
    return out;
  }
  const auto path = read_path(path_json);
  if (!path) {
    out.mapped = false;
    return out;
  }
  const Field f = resolve(s, *path);
  if (!f.mapped) {
    out.mapped = false;
    return out;
  }
  const std::string where = to_json(path_json);
  auto with_where = [&](CheckOutcome r) {
    if (!r.detail.empty()) r.detail = where + ": " + r.detail;
    if (!s.ok && !r.passed) r.detail += " (" + s.error + ")";
    return r;
  };
  element value;
  const bool has_value = !check["value"].get(value);
  if (op == "eq" || op == "ne") {
    if (!has_value) {
      out.mapped = false;
      return out;
    }
    CheckOutcome r = equals(s, f, value);
    if (op == "ne" && r.mapped) {
      r.passed = !r.passed;
      r.detail = r.passed ? "" : "expected anything but " + to_json(value);
    }
    return with_where(r);
  }
  if (op == "len") {
    if (f.kind != Kind::kCount || !has_value) {
      out.mapped = false;
      return out;
    }
    return with_where(equals(s, f, value));
  }
  if (op == "ord") {
    std::int64_t want = 0;
    if (!has_value || value.get(want) || f.kind == Kind::kTime) {
      out.mapped = false;
      return out;
    }
    char32_t first = 0;
    const std::size_t n = utf8_length(f.text, first);
    out.passed = n == 1 && static_cast<std::int64_t>(first) == want;
    if (!out.passed) out.detail = "expected the single character U+" + std::to_string(want) + ", got '" + f.text + "'";
    return with_where(out);
  }
  if (op == "truthy" || op == "exists") {
    bool want = true;
    if (op == "exists" && has_value && value.get(want)) want = true;
    out.passed = f.present == want;
    if (!out.passed) out.detail = want ? "expected a value, got none" : "expected no value, got '" + f.text + "'";
    return with_where(out);
  }
  out.mapped = false;  // has_key / lacks_key name keys of feedparser's dict, not fields of ours
  return out;
}

// "Content-type: application/xml; charset='us-ascii'" -> "us-ascii" (quotes, blanks around '=').
std::string charset_param(std::string_view content_type) {
  const std::string low = lower(content_type);
  std::size_t at = low.find("charset");
  if (at == std::string::npos) return {};
  std::string_view rest = std::string_view(content_type).substr(at + 7);
  rest = trim(rest);
  if (rest.empty() || rest.front() != '=') return {};
  rest.remove_prefix(1);
  rest = trim(rest.substr(0, rest.find(';')));
  while (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == '"' || rest.back() == '\'')) rest.remove_suffix(1);
  return std::string(trim(rest));
}

}  // namespace

CheckOutcome evaluate_feedparser_check(const std::string& check_json, const std::string& document) {
  Subject s = parse_subject(document, base_context());
  simdjson::dom::parser parser;
  element check;
  if (parser.parse(check_json).get(check)) return {true, false, "unreadable check"};
  return evaluate(s, check);
}

std::vector<CaseResult> run_feedparser(const std::filesystem::path& corpora) {
  std::vector<CaseResult> results;
  const auto root = corpora / "feeds" / "feedparser";
  std::ifstream in(root / "derived" / "expectations.jsonl");
  if (!in) return results;
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    element row;
    if (parser.parse(line).get(row)) continue;
    std::string_view file, suite, category;
    if (row["file"].get(file) || row["suite"].get(suite) || row["category"].get(category)) continue;
    CaseResult r;
    r.id = "feeds/feedparser/" + std::string(file);
    r.suite = "feedparser/" + std::string(suite) + (category.empty() ? "" : "/" + std::string(category));
    const bool chosen = kFeedparserSuites.contains(suite) &&
                        (suite != "wellformed" || kFeedparserWellformed.contains(category)) &&
                        (suite != "illformed" || category.empty());
    if (!chosen) {
      r.in_subset = false;
      r.detail = "suite or category outside the news subset";
      results.push_back(std::move(r));
      continue;
    }
    simdjson::dom::array checks;
    if (row["checks"].get(checks)) {
      r.in_subset = false;
      r.detail = "no structured checks";
      results.push_back(std::move(r));
      continue;
    }
    FeedContext ctx = base_context();
    bool http = false;
    std::ignore = row["http_served"].get(http);
    if (http) {
      // Served by upstream's mock server at this URL with the file's Header: lines; we hand the
      // same bytes and headers to parse_feed instead of opening a socket.
      ctx.base_url = "http://127.0.0.1:8097/" + std::string(file);
      simdjson::dom::object headers;
      if (!row["headers"].get(headers)) {
        for (auto [name, value] : headers) {
          std::string_view v;
          if (value.get(v)) continue;
          const std::string n = lower(name);
          if (n == "content-type") ctx.charset_hint = charset_param(v);
          if (n == "content-location") {
            // Like feedparser, only a location that is itself a web address becomes the base.
            const std::string location = connectors::resolve_url(ctx.base_url, v);
            if (location.starts_with("http://") || location.starts_with("https://")) ctx.base_url = location;
          }
        }
      }
    }
    std::string bytes;
    try {
      bytes = test::read_file(root / std::string(file));
    } catch (const std::exception& e) {
      r.passed = false;
      r.detail = e.what();
      results.push_back(std::move(r));
      continue;
    }
    const Subject subject = parse_subject(std::move(bytes), ctx);
    bool all_mapped = true;
    bool passed = true;
    std::string detail;
    for (element check : checks) {
      const CheckOutcome o = evaluate(subject, check);
      if (!o.mapped) {
        all_mapped = false;
        detail = "checks a field outside the Item model: " + to_json(check["path"]);
        break;
      }
      if (!o.passed && passed) {
        passed = false;
        detail = o.detail;
      }
    }
    if (!all_mapped) {
      r.in_subset = false;
      r.detail = detail;
    } else {
      r.passed = passed;
      r.detail = detail;
    }
    results.push_back(std::move(r));
  }
  return results;
}

namespace {

// gofeed's normalised model, key by key, against ours. Returns whether any key our model has was
// compared; `detail` gets the first mismatch.
struct GofeedCompare {
  bool compared = false;
  bool passed = true;
  std::string detail;
  void mismatch(const std::string& what) {
    if (passed) detail = what;
    passed = false;
  }
};

void compare_text(GofeedCompare& c, const std::string& where, std::string_view ours, element expected, Kind kind) {
  std::string_view v;
  if (expected.get(v)) return;
  c.compared = true;
  bool same = false;
  if (kind == Kind::kTitle) same = same_text(ours, v, TextLayout::kLine);
  if (kind == Kind::kParagraphs) same = same_text(ours, v, TextLayout::kParagraphs);
  if (kind == Kind::kExact) same = ours == trim(v);
  if (kind == Kind::kLang) same = lang_key(ours) == lang_key(v);
  if (!same) c.mismatch(where + ": expected " + to_json(expected) + ", got '" + std::string(ours) + "'");
}

void compare_time(GofeedCompare& c, const std::string& where, const Item& item, element expected) {
  std::string_view v;
  if (expected.get(v)) return;
  c.compared = true;
  const auto want = parse_rfc3339(v);
  const bool ours = item.published && !item.published_is_fetch_time;
  if (!want || !ours || *want != *item.published) {
    c.mismatch(where + ": expected " + std::string(v) + ", got " + (ours ? format_rfc3339(*item.published) : "no date"));
  }
}

}  // namespace

std::vector<CaseResult> run_gofeed(const std::filesystem::path& corpora) {
  std::vector<CaseResult> results;
  const auto root = corpora / "feeds" / "gofeed" / "testdata" / "translator";
  for (const std::string format : {"rss", "atom"}) {
    const auto dir = root / format;
    if (!std::filesystem::is_directory(dir)) continue;
    std::vector<std::filesystem::path> inputs;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".xml") inputs.push_back(e.path());
    }
    std::sort(inputs.begin(), inputs.end());
    for (const auto& input : inputs) {
      CaseResult r;
      r.id = "feeds/gofeed/testdata/translator/" + format + "/" + input.filename().string();
      r.suite = "gofeed/translator/" + format;
      auto expected_path = input;
      expected_path.replace_extension(".json");
      simdjson::dom::parser parser;
      element expected;
      std::string expected_text;
      try {
        expected_text = test::read_file(expected_path);
      } catch (const std::exception& e) {
        r.detail = e.what();
        results.push_back(std::move(r));
        continue;
      }
      if (parser.parse(expected_text).get(expected)) {
        r.detail = "unreadable expected JSON";
        results.push_back(std::move(r));
        continue;
      }
      const Subject s = parse_subject(test::read_file(input), base_context());
      GofeedCompare c;
      if (!s.ok) {
        c.passed = false;
        c.detail = s.error;
      } else {
        std::string_view type;
        if (!expected["feedType"].get(type)) {
          const bool rss_like = s.feed.format == FeedFormat::kRss || s.feed.format == FeedFormat::kRdf;
          if ((type == "rss") != rss_like) c.mismatch("feedType: expected " + std::string(type));
        }
        element v;
        if (!expected["title"].get(v)) compare_text(c, "title", s.feed.title, v, Kind::kTitle);
        if (!expected["link"].get(v)) compare_text(c, "link", s.feed.link, v, Kind::kExact);
        if (!expected["language"].get(v)) compare_text(c, "language", s.feed.lang, v, Kind::kLang);
        simdjson::dom::array items;
        if (!expected["items"].get(items)) {
          std::size_t i = 0;
          for (element e : items) {
            const std::string at = "items[" + std::to_string(i) + "].";
            if (i >= s.feed.items.size()) {
              c.mismatch("expected " + std::to_string(items.size()) + " items, got " + std::to_string(s.feed.items.size()));
              break;
            }
            const Item& item = s.feed.items[i];
            if (!e["title"].get(v)) compare_text(c, at + "title", item.title, v, Kind::kTitle);
            if (!e["link"].get(v)) compare_text(c, at + "link", item.url, v, Kind::kExact);
            if (!e["description"].get(v)) compare_text(c, at + "description", item.summary, v, Kind::kParagraphs);
            if (!e["content"].get(v)) compare_text(c, at + "content", item.content, v, Kind::kParagraphs);
            if (!e["guid"].get(v)) compare_text(c, at + "guid", s.feed.guids[i], v, Kind::kExact);
            if (!e["publishedParsed"].get(v)) {
              compare_time(c, at + "publishedParsed", item, v);
            } else if (!e["updatedParsed"].get(v)) {
              compare_time(c, at + "updatedParsed", item, v);
            }
            simdjson::dom::array list;
            if (!e["categories"].get(list)) {
              std::size_t j = 0;
              for (element cat : list) {
                compare_text(c, at + "categories[" + std::to_string(j) + "]", j < item.tags.size() ? item.tags[j] : "", cat,
                             Kind::kTitle);
                ++j;
              }
            }
            if (!e["authors"].get(list)) {
              std::size_t j = 0;
              for (element a : list) {
                element name;
                if (!a["name"].get(name)) {
                  compare_text(c, at + "authors[" + std::to_string(j) + "].name",
                               j < item.authors.size() ? item.authors[j] : "", name, Kind::kTitle);
                }
                ++j;
              }
            }
            ++i;
          }
          if (c.compared && items.size() != s.feed.items.size()) {
            c.mismatch("expected " + std::to_string(items.size()) + " items, got " + std::to_string(s.feed.items.size()));
          }
        }
      }
      if (s.ok && !c.compared) {
        r.in_subset = false;
        r.detail = "expects only fields outside the Item model";
      } else {
        r.passed = c.passed;
        r.detail = c.detail;
      }
      results.push_back(std::move(r));
    }
  }
  return results;
}

std::vector<CaseResult> run_date_vectors(const std::filesystem::path& corpora) {
  std::vector<CaseResult> results;
  std::ifstream in(corpora / "feeds" / "feedparser" / "derived" / "date_parser_vectors.jsonl");
  if (!in) return results;
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    element row;
    if (parser.parse(line).get(row)) continue;
    std::string_view name, input;
    if (row["parser"].get(name) || row["input"].get(input)) continue;
    CaseResult r;
    r.id = "dates/" + std::string(name) + "/" + std::string(input);
    r.suite = "dates/" + std::string(name);
    const bool two_digit_iso = name == "iso8601" && !input.empty() &&
                               !(input.size() > 4 && input[4] == '-' &&
                                 std::all_of(input.begin(), input.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }));
    if (!kDateParsers.contains(name) || two_digit_iso) {
      r.in_subset = false;
      r.detail = "date format outside the news subset";
      results.push_back(std::move(r));
      continue;
    }
    std::string want = "rejected";
    simdjson::dom::array tuple;
    if (!row["expected_utc_struct_time"].get(tuple)) {
      std::array<std::int64_t, 6> v{};
      for (std::size_t j = 0; j < 6; ++j) std::ignore = tuple.at(j).get(v[j]);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", static_cast<int>(v[0]), static_cast<int>(v[1]),
                    static_cast<int>(v[2]), static_cast<int>(v[3]), static_cast<int>(v[4]), static_cast<int>(v[5]));
      want = buf;
    }
    const auto got = connectors::parse_feed_date(input);
    const std::string ours = got ? utc_seconds(*got) : "rejected";
    r.passed = ours == want;
    if (!r.passed) r.detail = "'" + std::string(input) + "': expected " + want + ", got " + ours;
    results.push_back(std::move(r));
  }
  return results;
}

std::map<std::string, std::string> load_accepted_failures(const std::filesystem::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    const std::size_t sep = t.find(" -- ");
    if (sep == std::string_view::npos || trim(t.substr(sep + 4)).empty()) {
      throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": expected '<case id> -- <reason>'");
    }
    out[std::string(trim(t.substr(0, sep)))] = std::string(trim(t.substr(sep + 4)));
  }
  return out;
}

}  // namespace vigia::conformance
