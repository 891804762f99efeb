#include "gdelt_connector.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "http_fetch.h"
#include "json_value.h"
#include "vigia/connectors/html_text.h"
#include "vigia/connectors/item_id.h"
#include "vigia/connectors/url.h"
#include "vigia/core/log.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

using namespace std::chrono_literals;
using detail::lower_ascii;
using detail::trim;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

constexpr std::string_view kDefaultEndpoint = "https://api.gdeltproject.org/api/v2/doc/doc";
constexpr std::string_view kCursorKey = "gdelt.cursor";
constexpr std::string_view kAccept = "application/json";
constexpr long long kMaxRecordsLimit = 250;  // the API's own cap
constexpr int kMaxRequestsPerPoll = 8;

// ---- time ------------------------------------------------------------------------------------

Timestamp floor_seconds(Timestamp t) { return std::chrono::floor<std::chrono::seconds>(t); }

// YYYYMMDDHHMMSS, UTC: the API's startdatetime/enddatetime and our cursor.
std::string compact_time(Timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(t - day));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u%02d%02d%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// Reads YYYYMMDDHHMMSS (cursor) or YYYYMMDDTHHMMSSZ (seendate).
std::optional<Timestamp> parse_compact_time(std::string_view text) {
  std::string digits;
  if (text.size() == 16 && text[8] == 'T' && text[15] == 'Z') {
    digits = std::string(text.substr(0, 8)) + std::string(text.substr(9, 6));
  } else if (text.size() == 14) {
    digits = std::string(text);
  } else {
    return std::nullopt;
  }
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) { return std::stoi(digits.substr(at, len)); };
  const int year = num(0, 4);
  const int month = num(4, 2);
  const int day = num(6, 2);
  const int hour = num(8, 2);
  const int minute = num(10, 2);
  const int second = num(12, 2);
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return Timestamp{std::chrono::sys_days(ymd)} + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

// ---- normalisation ---------------------------------------------------------------------------

// GDELT's English language names to BCP 47, for the languages its crawl covers most; others
// give "" rather than a guess.
constexpr std::array<std::pair<std::string_view, std::string_view>, 68> kLanguages = {{
    {"afrikaans", "af"},   {"albanian", "sq"},   {"amharic", "am"},    {"arabic", "ar"},     {"armenian", "hy"},
    {"azerbaijani", "az"}, {"basque", "eu"},     {"belarusian", "be"}, {"bengali", "bn"},    {"bosnian", "bs"},
    {"bulgarian", "bg"},   {"catalan", "ca"},    {"chinese", "zh"},    {"croatian", "hr"},   {"czech", "cs"},
    {"danish", "da"},      {"dutch", "nl"},      {"english", "en"},    {"estonian", "et"},   {"finnish", "fi"},
    {"french", "fr"},      {"galician", "gl"},   {"georgian", "ka"},   {"german", "de"},     {"greek", "el"},
    {"gujarati", "gu"},    {"hausa", "ha"},      {"hebrew", "he"},     {"hindi", "hi"},      {"hungarian", "hu"},
    {"icelandic", "is"},   {"indonesian", "id"}, {"irish", "ga"},      {"italian", "it"},    {"japanese", "ja"},
    {"kannada", "kn"},     {"kazakh", "kk"},     {"korean", "ko"},     {"latvian", "lv"},    {"lithuanian", "lt"},
    {"macedonian", "mk"},  {"malay", "ms"},      {"malayalam", "ml"},  {"marathi", "mr"},    {"nepali", "ne"},
    {"norwegian", "no"},   {"persian", "fa"},    {"polish", "pl"},     {"portuguese", "pt"}, {"punjabi", "pa"},
    {"romanian", "ro"},    {"russian", "ru"},    {"serbian", "sr"},    {"sinhalese", "si"},  {"slovak", "sk"},
    {"slovenian", "sl"},   {"somali", "so"},     {"spanish", "es"},    {"swahili", "sw"},    {"swedish", "sv"},
    {"tagalog", "tl"},     {"tamil", "ta"},      {"telugu", "te"},     {"thai", "th"},       {"turkish", "tr"},
    {"ukrainian", "uk"},   {"urdu", "ur"},       {"vietnamese", "vi"},
}};

std::string language_code(std::string_view name) {
  const std::string key = lower_ascii(trim(name));
  for (const auto& [n, code] : kLanguages) {
    if (n == key) return std::string(code);
  }
  return {};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

// CJK punctuation (、 。 ， ： ； ！ ？): Chinese and Japanese put no blanks around it at all.
bool is_cjk_punctuation(std::string_view t) {
  constexpr std::array<std::string_view, 7> kMarks = {"\xE3\x80\x81", "\xE3\x80\x82", "\xEF\xBC\x8C", "\xEF\xBC\x9A",
                                                      "\xEF\xBC\x9B", "\xEF\xBC\x81", "\xEF\xBC\x9F"};
  return std::find(kMarks.begin(), kMarks.end(), t) != kMarks.end();
}

// Tokens GDELT split off that belong to the word before them.
bool attaches_left(std::string_view t) {
  constexpr std::string_view kClosers = ",;:!?%)]}.";
  return kClosers.find(t.front()) != std::string_view::npos || is_cjk_punctuation(t);
}

// Tokens that belong to the word after them: ( [ ¿ ¡ and CJK punctuation.
bool attaches_right(std::string_view t) {
  return t == "(" || t == "[" || t == "\xC2\xBF" || t == "\xC2\xA1" || is_cjk_punctuation(t);
}

bool is_domain_suffix(std::string_view t) {
  constexpr std::array<std::string_view, 9> kSuffixes = {"com", "net", "org", "mx", "gob", "gov", "edu", "io", "es"};
  return std::find(kSuffixes.begin(), kSuffixes.end(), t) != kSuffixes.end();
}

// Whether token i is glued to what precedes it because GDELT split one word around a '.' or ':'
// ("0 . 5", "U . S .", "Amazon . com", "10 : 30").
bool rejoins_split_word(const std::vector<std::string_view>& tokens, std::size_t i) {
  if (i < 2) return false;
  const std::string_view sep = tokens[i - 1];
  const std::string_view before = tokens[i - 2];
  const std::string_view t = tokens[i];
  if (sep == ".") {
    if (is_digit(before.back()) && is_digit(t.front())) return true;  // a decimal point
    if (before.size() == 1 && is_upper(before[0]) && t.size() == 1 && is_upper(t[0]) && i + 1 < tokens.size() &&
        tokens[i + 1].front() == '.') {
      return true;  // initials: U . S .
    }
    const char last = before.back();
    return is_domain_suffix(t) && ((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z') || is_digit(last));
  }
  if (sep == ":") return before.size() <= 2 && all_digits(before) && t.size() == 2 && all_digits(t);  // a time
  return false;
}

// GDELT titles: trimmed, blanks collapsed, zero-width characters gone, and the spaces its
// tokenizer put around punctuation removed where the original spelling is unambiguous.
std::string tidy_title(std::string_view raw) {
  const std::string clean = normalize_text(raw, TextLayout::kLine);
  std::vector<std::string_view> tokens;
  std::string_view rest = clean;
  while (!rest.empty()) {
    const std::size_t sp = rest.find(' ');
    if (sp != 0) tokens.push_back(rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  std::string out;
  out.reserve(clean.size());
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const bool glue =
        i > 0 && (attaches_left(tokens[i]) || attaches_right(tokens[i - 1]) || rejoins_split_word(tokens, i));
    if (i > 0 && !glue) out += ' ';
    out += tokens[i];
  }
  return out;
}

// ---- the artlist answer ----------------------------------------------------------------------

struct Article {
  Item item;
  std::optional<Timestamp> seen;
};

struct ArtList {
  std::vector<Article> articles;
  std::size_t records = 0;  // records in the answer, readable or not: what maxrecords caps
  std::size_t skipped = 0;  // records dropped as unreadable
};

// The texts of the objects inside the top-level "articles" array, found without parsing them
// (string- and escape-aware brace matching), so that one broken record costs only itself.
// nullopt when there is no such array.
std::optional<std::vector<std::string_view>> split_records(std::string_view body) {
  std::size_t at = body.find("\"articles\"");
  if (at == std::string_view::npos) return std::nullopt;
  at += 10;
  while (at < body.size() && (body[at] == ' ' || body[at] == '\t' || body[at] == '\r' || body[at] == '\n')) ++at;
  if (at >= body.size() || body[at] != ':') return std::nullopt;
  at = body.find('[', at);
  if (at == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> out;
  std::size_t i = at + 1;
  while (i < body.size()) {
    const char c = body[i];
    if (c == ']') break;
    if (c != '{') {
      ++i;
      continue;
    }
    const std::size_t begin = i;
    int depth = 0;
    bool in_string = false;
    for (; i < body.size(); ++i) {
      const char d = body[i];
      if (in_string) {
        if (d == '\\') {
          ++i;
        } else if (d == '"') {
          in_string = false;
        }
      } else if (d == '"') {
        in_string = true;
      } else if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) break;
      }
    }
    out.push_back(body.substr(begin, std::min(i + 1, body.size()) - begin));
    ++i;
  }
  return out;
}

// A first line of a body that is not JSON, for the error message.
std::string body_start(std::string_view body) {
  std::string_view line = trim(body);
  line = line.substr(0, line.find_first_of("\r\n"));
  std::string out = normalize_text(line.substr(0, 80), TextLayout::kLine);
  if (line.size() > 80) out += "...";
  return out;
}

class GdeltConnector final : public Connector {
 public:
  GdeltConnector(const FeedSpec& feed, const ConnectorServices& services)
      : fetch_(feed, services),
        state_(services.state),
        query_(trim(feed.settings.string("query"))),
        maxrecords_(feed.settings.integer("maxrecords")),
        endpoint_(trim(feed.settings.string("endpoint"))),
        initial_window_(feed.settings.duration("initial_window")),
        lag_(feed.settings.duration("lag")),
        request_gap_(feed.settings.duration("request_gap")) {}

  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    fetch_.clear_retry_after();
    if (auto bad = check_settings()) return *bad;
    if (stop.stop_requested()) return cancelled();

    const Timestamp end = floor_seconds(fetch_.clock()->now() - lag_);
    Timestamp start = load_cursor().value_or(floor_seconds(end - initial_window_));
    PollReport report;
    if (start >= end) {
      report.not_modified = true;  // polled again before GDELT can have anything new
      return report;
    }
    for (int requests = 0; start < end; ++requests) {
      if (requests == kMaxRequestsPerPoll) {
        log::get("connectors")
            ->info("{}more than {} requests' worth of articles; resuming from {} next poll", fetch_.where(),
                   kMaxRequestsPerPoll, format_rfc3339(start));
        break;
      }
      if (requests > 0 && !pause(stop)) return cancelled();
      auto res = fetch_.get(request_url(start, end), kAccept, {}, nullptr, stop);
      report.retry_after = fetch_.retry_after();
      if (!res) return res.error();
      report.bytes += res->body.size();
      auto list = read_artlist(res->body, res->fetched);
      if (!list) return list.error();
      report.skipped += list->skipped;

      // How far this answer covers [start, end) completely.
      Timestamp upto = end;
      if (list->records >= static_cast<std::size_t>(maxrecords_)) {
        std::optional<Timestamp> last;
        for (const auto& a : list->articles) {
          if (a.seen && (!last || *a.seen > *last)) last = a.seen;
        }
        if (last && *last > start) {
          upto = std::min(*last, end);
        } else {
          upto = start + 1s;
          log::get("connectors")
              ->warn("{}more than {} articles seen at {}: GDELT returns no more of them", fetch_.where(), maxrecords_,
                     format_rfc3339(start));
        }
      }
      for (auto& a : list->articles) {
        if (a.seen && (*a.seen < start || *a.seen >= upto)) continue;  // another window's
        if (stop.stop_requested()) return cancelled();
        if (auto st = out.write(std::move(a.item)); !st) return st.error();
        ++report.items;
      }
      start = upto;
      save_cursor(start);
    }
    return report;
  }

  std::optional<std::chrono::milliseconds> retry_after() const override { return fetch_.retry_after(); }
  // The stored cursor is authoritative again; without a FeedState, memory is all there is.
  void reload_state() override {
    if (state_) cursor_.reset();
  }

 private:
  Error cancelled() const { return make_error("cancelled", fetch_.where() + "poll cancelled"); }

  std::optional<Error> check_settings() const {
    if (query_.empty()) return make_error("config", fetch_.where() + "query is empty");
    if (maxrecords_ < 1 || maxrecords_ > kMaxRecordsLimit) {
      return make_error("config",
                        fetch_.where() + "maxrecords must be between 1 and " + std::to_string(kMaxRecordsLimit));
    }
    if (initial_window_ <= 0ms) return make_error("config", fetch_.where() + "initial_window must be positive");
    if (lag_ < 0ms || request_gap_ < 0ms)
      return make_error("config", fetch_.where() + "lag and request_gap cannot be negative");
    return fetch_.check(endpoint_, "endpoint");
  }

  // The cursor in memory once this instance has one (a state that failed to write must not send
  // us back), else the stored one.
  std::optional<Timestamp> load_cursor() const {
    if (cursor_) return cursor_;
    if (state_) {
      if (auto text = state_->get(fetch_.feed_name(), kCursorKey)) {
        if (auto t = parse_compact_time(*text)) return t;
        log::get("connectors")
            ->warn("{}stored cursor '{}' is unreadable; starting a fresh window", fetch_.where(), *text);
      }
    }
    return std::nullopt;
  }

  void save_cursor(Timestamp t) {
    cursor_ = t;
    if (state_) state_->put(fetch_.feed_name(), kCursorKey, compact_time(t));
  }

  std::string request_url(Timestamp start, Timestamp end) const {
    std::string url = endpoint_;
    url += endpoint_.find('?') == std::string::npos ? '?' : '&';
    url += "query=" + detail::url_encode(query_);
    url += "&mode=ArtList&format=json&sort=DateAsc";
    url += "&maxrecords=" + std::to_string(maxrecords_);
    url += "&startdatetime=" + compact_time(start);
    url += "&enddatetime=" + compact_time(end);
    return url;
  }

  // Waits request_gap (GDELT's rate limit) unless stopped; false when stopped.
  bool pause(const std::stop_token& stop) const {
    if (request_gap_ > 0ms) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      cv.wait_for(lock, stop, request_gap_, [] { return false; });
    }
    return !stop.stop_requested();
  }

  Result<ArtList> read_artlist(std::string_view body, Timestamp fetched) const {
    ArtList list;
    std::string_view doc = body;
    if (doc.starts_with("\xEF\xBB\xBF")) doc.remove_prefix(3);
    doc = trim(doc);
    if (doc.empty()) return list;  // nothing matched
    if (doc.front() != '{') {
      return make_error("parse", fetch_.where() + redact_url(endpoint_) + ": not JSON: the answer starts with \"" +
                                     body_start(doc) + "\"");
    }
    element root;
    if (auto err = detail::json_parser().parse(doc.data(), doc.size()).get(root); err == simdjson::SUCCESS) {
      object top;
      if (root.get(top) != simdjson::SUCCESS) return shape_error("the JSON answer is not an object");
      element articles;
      if (top["articles"].get(articles) != simdjson::SUCCESS) return list;  // GDELT's answer when nothing matched
      array records;
      if (articles.get(records) != simdjson::SUCCESS) return shape_error("\"articles\" is not an array");
      for (element r : records) add_record(r, fetched, list);
      return list;
    } else {
      auto texts = split_records(doc);
      if (!texts) {
        return make_error("parse",
                          fetch_.where() + redact_url(endpoint_) + ": not JSON: " + simdjson::error_message(err));
      }
      // The document as a whole is broken; read its records one by one.
      for (std::string_view text : *texts) {
        element r;
        if (detail::json_parser().parse(text.data(), text.size()).get(r) != simdjson::SUCCESS) {
          ++list.records;
          ++list.skipped;
          continue;
        }
        add_record(r, fetched, list);
      }
      if (list.skipped > 0) {
        log::get("connectors")
            ->warn("{}{}: dropped {} of {} records that are not valid JSON ({})", fetch_.where(), redact_url(endpoint_),
                   list.skipped, list.records, simdjson::error_message(err));
      }
      return list;
    }
  }

  Error shape_error(const std::string& what) const {
    return make_error("parse", fetch_.where() + redact_url(endpoint_) + ": not a GDELT ArtList answer: " + what);
  }

  void add_record(element record, Timestamp fetched, ArtList& list) const {
    ++list.records;
    object r;
    if (record.get(r) != simdjson::SUCCESS) {
      ++list.skipped;
      return;
    }
    Article a;
    Item& item = a.item;
    std::string url = detail::http_link(detail::json_member_text(r, "url"), {});
    if (url.empty()) url = detail::http_link(detail::json_member_text(r, "url_mobile"), {});
    item.url = url.empty() ? std::string() : canonical_url(url);
    item.title = tidy_title(detail::json_member_text(r, "title"));
    if (item.url.empty() && item.title.empty()) {
      ++list.skipped;
      return;
    }
    item.source = fetch_.feed_name();
    item.connector = "gdelt";
    item.lang = language_code(detail::json_member_text(r, "language"));
    const std::string domain = normalize_text(detail::json_member_text(r, "domain"), TextLayout::kLine);
    if (!domain.empty()) item.tags.push_back("domain:" + lower_ascii(domain));
    const std::string country = normalize_text(detail::json_member_text(r, "sourcecountry"), TextLayout::kLine);
    if (!country.empty()) item.tags.push_back("sourcecountry:" + country);
    a.seen = parse_compact_time(trim(detail::json_member_text(r, "seendate")));
    item.fetched = fetched;
    item.published = a.seen ? *a.seen : fetched;
    item.published_is_fetch_time = !a.seen;
    item.id = item_id(item.source, item.url, {}, item.title, {});
    list.articles.push_back(std::move(a));
  }

  detail::HttpFetcher fetch_;
  const FeedStatePtr state_;
  const std::string query_;
  const long long maxrecords_;
  const std::string endpoint_;
  const std::chrono::milliseconds initial_window_;
  const std::chrono::milliseconds lag_;
  const std::chrono::milliseconds request_gap_;
  std::optional<Timestamp> cursor_;  // without a FeedState
};

ConnectorPtr create(const FeedSpec& feed, const ConnectorServices& services) {
  return std::make_unique<GdeltConnector>(feed, services);
}

}  // namespace

ConnectorKind gdelt_connector_kind() {
  return ConnectorKind{
      "gdelt",
      "Articles matching a query, from the GDELT DOC 2.0 API, over a time window that advances without gaps.",
      detail::with_http_common_keys({
          {"query", ConfigType::kString, true, "", "GDELT query, e.g. '\"vacunas falsas\" sourcecountry:MX'"},
          {"maxrecords", ConfigType::kInteger, false, "250", "articles per request (1-250); a full answer is split"},
          {"endpoint", ConfigType::kString, false, std::string(kDefaultEndpoint), "the DOC 2.0 API URL"},
          {"initial_window", ConfigType::kDuration, false, "1h", "how far back the first poll of the feed looks"},
          {"lag", ConfigType::kDuration, false, "15m",
           "how far behind now windows end: GDELT publishes in 15-minute batches"},
          {"request_gap", ConfigType::kDuration, false, "5s",
           "pause between two requests of one poll (GDELT asks for one request every 5 seconds)"},
      }),
      &create,
  };
}

}  // namespace vigia::connectors
