#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "connector_test_util.h"
#include "support/loopback_server.h"
#include "support/test_paths.h"
#include "vigia/connectors/connector.h"

using namespace vigia;
using namespace vigia::connectors;
using namespace std::chrono_literals;
using vigia::test::CannedResponse;
using vigia::test::CollectingWriter;
using vigia::test::kNow;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

constexpr const char* kPath = "/api/v2/doc/doc";
constexpr const char* kQuery = "\"vacunas falsas\" sourcecountry:MX";

// The real libcurl client, remembering the URL of every request: LoopbackServer routes on the
// path alone, and the GDELT window lives in the query string.
class RecordingHttpClient final : public HttpClient {
 public:
  Result<HttpResponse> perform(const HttpRequest& request) override {
    {
      std::lock_guard lock(mu_);
      urls_.push_back(request.url);
    }
    return inner_->perform(request);
  }
  std::vector<std::string> urls() const {
    std::lock_guard lock(mu_);
    return urls_;
  }
  std::string last_url() const {
    std::lock_guard lock(mu_);
    return urls_.empty() ? std::string() : urls_.back();
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> urls_;
  HttpClientPtr inner_ = make_curl_http_client();
};

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> query_of(const std::string& url) {
  std::map<std::string, std::string> out;
  const std::size_t q = url.find('?');
  if (q == std::string::npos) return out;
  std::string rest = url.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    out[percent_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
    if (amp == std::string::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

struct Article {
  std::string seendate;  // YYYYMMDDTHHMMSSZ
  std::string title;
  std::string url;
  std::string language = "Spanish";
  std::string country = "Mexico";
  std::string domain = "noticias.example.mx";
};

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string artlist(const std::vector<Article>& articles) {
  std::string out = "{\"articles\": [";
  for (std::size_t i = 0; i < articles.size(); ++i) {
    const Article& a = articles[i];
    if (i > 0) out += ",";
    out += "\n {\"url\": " + json_string(a.url) + ", \"url_mobile\": \"\", \"title\": " + json_string(a.title) +
           ", \"seendate\": " + json_string(a.seendate) +
           ", \"socialimage\": \"\", \"domain\": " + json_string(a.domain) +
           ", \"language\": " + json_string(a.language) + ", \"sourcecountry\": " + json_string(a.country) + "}";
  }
  return out + "\n]}";
}

// "20240520T104500Z" -> "20240520104500", comparable with startdatetime/enddatetime as text.
std::string compact(const std::string& seendate) { return seendate.substr(0, 8) + seendate.substr(9, 6); }

// A GDELT stand-in on a real loopback server: it answers with the articles whose seendate lies
// in [startdatetime, enddatetime] — both ends inclusive, the reading that would make windows
// overlap if the connector did not guard against it — oldest first, at most maxrecords of them.
struct FakeGdelt {
  LoopbackServer server;
  std::shared_ptr<RecordingHttpClient> http = std::make_shared<RecordingHttpClient>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);
  std::vector<Article> articles;
  std::mutex mu;

  FakeGdelt() {
    server.on("GET", kPath, [this](const ReceivedRequest&) {
      auto q = query_of(http->last_url());
      std::vector<Article> hits;
      {
        std::lock_guard lock(mu);
        for (const auto& a : articles) {
          const std::string t = compact(a.seendate);
          if (t >= q["startdatetime"] && t <= q["enddatetime"]) hits.push_back(a);
        }
      }
      std::stable_sort(hits.begin(), hits.end(),
                       [](const Article& a, const Article& b) { return a.seendate < b.seendate; });
      const std::size_t max = static_cast<std::size_t>(std::stoul(q["maxrecords"]));
      if (hits.size() > max) hits.resize(max);
      return CannedResponse{200, artlist(hits), "application/json; charset=utf-8", {}};
    });
  }

  void add(Article a) {
    std::lock_guard lock(mu);
    articles.push_back(std::move(a));
  }

  ConnectorPtr connector(FeedStatePtr state, long long maxrecords = 250) {
    ConnectorRegistry registry;
    register_builtin_connectors(registry);
    const ConnectorKind* kind = registry.find("gdelt");
    REQUIRE(kind != nullptr);
    FeedSpec spec;
    spec.name = "gdelt-mx";
    spec.type = "gdelt";
    spec.settings = defaults_of(kind->schema);
    spec.settings.set("query", std::string(kQuery));
    spec.settings.set("endpoint", server.url(kPath));
    spec.settings.set("maxrecords", maxrecords);
    spec.settings.set("allow_private", true);
    spec.settings.set("timeout", std::chrono::milliseconds(5000));
    spec.settings.set("request_gap", std::chrono::milliseconds(0));
    return kind->create(spec, ConnectorServices{http, clock, std::move(state)});
  }

  std::vector<std::map<std::string, std::string>> queries() const {
    std::vector<std::map<std::string, std::string>> out;
    for (const auto& url : http->urls()) out.push_back(query_of(url));
    return out;
  }
};

Result<PollReport> poll(Connector& c, CollectingWriter& out) { return c.poll(out, std::stop_source().get_token()); }

Article at(const std::string& seendate, const std::string& title) {
  return Article{seendate,  title,    "https://noticias.example.mx/nota/" + seendate,
                 "Spanish", "Mexico", "noticias.example.mx"};
}

std::set<std::string> ids_of(const std::vector<Item>& items) {
  std::set<std::string> ids;
  for (const auto& item : items) ids.insert(item.id);
  return ids;
}

}  // namespace

TEST_CASE("the gdelt connector asks for ArtList JSON sorted oldest first over the lagged initial window",
          "[connectors][gdelt]") {
  FakeGdelt g;
  g.add(at("20240520T110000Z", "Aseguran vacunas falsas en Tijuana"));
  auto c = g.connector(std::make_shared<MemoryFeedState>());
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == 1);
  const auto queries = g.queries();
  REQUIRE(queries.size() == 1);
  auto q = queries[0];
  CHECK(q["query"] == kQuery);
  CHECK(q["mode"] == "ArtList");
  CHECK(q["format"] == "json");
  CHECK(q["sort"] == "DateAsc");
  CHECK(q["maxrecords"] == "250");
  CHECK(q["startdatetime"] == "20240520104500");  // now - lag (15m) - initial_window (1h)
  CHECK(q["enddatetime"] == "20240520114500");    // now - lag
  const auto requests = g.server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("Accept") == "application/json");
  CHECK_THAT(requests[0].header("User-Agent"), Catch::StartsWith("Vigia/0.1"));
}

TEST_CASE("the gdelt connector normalises titles, urls, dates, language and tags", "[connectors][gdelt]") {
  FakeGdelt g;
  g.add({"20240520T110000Z", "  Trump , Modi ? ", "https://www.example.com:443/a?utm_source=gdelt", "English",
         "United States", "Example.com"});
  g.add({"20240520T110100Z", "\xC2\xBF Quién controla Culiacán ?  El CJNG\xE2\x80\x8B : reporte",
         "http://noticias.example.mx/b", "Spanish", "Mexico", "noticias.example.mx"});
  g.add({"20240520T110200Z", "Decomisan 1 . 5 toneladas ( 3 , 300 kg ) en U . S .- Mexico border ; sube 12 %",
         "https://noticias.example.mx/c", "Portuguese", "Brazil", "noticias.example.mx"});
  g.add({"20240520T110300Z", "SAP - Aktie : 10 : 30 Uhr", "https://boerse.example.de/d", "Klingon", "", ""});
  g.add({"20240520T110400Z", "貿易協定 、 1月中に成立 ？", "https://jp.example.com/e", "Japanese", "Japan",
         "jp.example.com"});
  auto c = g.connector(nullptr);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  REQUIRE(out.items.size() == 5);

  const Item& a = out.items[0];
  CHECK(a.title == "Trump, Modi?");
  CHECK(a.url == "https://www.example.com/a");
  CHECK(a.lang == "en");
  CHECK(a.tags == std::vector<std::string>{"domain:example.com", "sourcecountry:United States"});
  CHECK(a.published == parse_rfc3339("2024-05-20T11:00:00Z"));
  CHECK_FALSE(a.published_is_fetch_time);
  CHECK(a.fetched == kNow);
  CHECK(a.source == "gdelt-mx");
  CHECK(a.connector == "gdelt");
  CHECK(a.id.size() == 32);
  CHECK(a.summary.empty());
  CHECK(a.content.empty());

  CHECK(out.items[1].title == "\xC2\xBFQuién controla Culiacán? El CJNG: reporte");
  CHECK(out.items[1].lang == "es");
  CHECK(out.items[2].title == "Decomisan 1.5 toneladas (3, 300 kg) en U.S.- Mexico border; sube 12%");
  CHECK(out.items[2].lang == "pt");
  CHECK(out.items[3].title == "SAP - Aktie: 10:30 Uhr");  // spaced hyphens are left alone
  CHECK(out.items[3].lang.empty());                       // not a language we know
  CHECK(out.items[3].tags.empty());
  CHECK(out.items[4].title == "貿易協定、1月中に成立？");  // CJK punctuation takes no blanks
  CHECK(out.items[4].lang == "ja");
}

TEST_CASE("the gdelt window advances across three polls with contiguous bounds and no overlap", "[connectors][gdelt]") {
  FakeGdelt g;
  // Two articles sit exactly on window boundaries, which the inclusive stand-in returns twice.
  for (const char* t :
       {"20240520T105000Z", "20240520T114500Z", "20240520T115000Z", "20240520T120000Z", "20240520T121000Z"}) {
    g.add(at(t, std::string("Nota ") + t));
  }
  auto c = g.connector(std::make_shared<MemoryFeedState>());
  CollectingWriter out;

  auto first = poll(*c, out);  // 12:00
  REQUIRE(first.ok());
  CHECK(first->items == 1);
  g.clock->advance(15min);  // 12:15
  auto second = poll(*c, out);
  REQUIRE(second.ok());
  CHECK(second->items == 2);
  g.clock->advance(20min);  // 12:35
  auto third = poll(*c, out);
  REQUIRE(third.ok());
  CHECK(third->items == 2);

  const auto q = g.queries();
  REQUIRE(q.size() == 3);
  CHECK(q[0].at("startdatetime") == "20240520104500");
  CHECK(q[0].at("enddatetime") == "20240520114500");
  CHECK(q[1].at("startdatetime") == "20240520114500");
  CHECK(q[1].at("enddatetime") == "20240520120000");
  CHECK(q[2].at("startdatetime") == "20240520120000");
  CHECK(q[2].at("enddatetime") == "20240520122000");
  REQUIRE(out.items.size() == 5);
  CHECK(ids_of(out.items).size() == 5);  // every article exactly once
  for (std::size_t i = 1; i < out.items.size(); ++i) CHECK(*out.items[i - 1].published < *out.items[i].published);
}

TEST_CASE("the gdelt connector asks nothing while the lag leaves no new window", "[connectors][gdelt]") {
  FakeGdelt g;
  auto c = g.connector(std::make_shared<MemoryFeedState>());
  CollectingWriter out;
  REQUIRE(poll(*c, out).ok());
  auto again = poll(*c, out);  // same instant: [11:45, 11:45) is empty
  REQUIRE(again.ok());
  CHECK(again->not_modified);
  CHECK(again->items == 0);
  CHECK(g.http->urls().size() == 1);
}

TEST_CASE("the gdelt cursor survives a restart through the feed state", "[connectors][gdelt]") {
  FakeGdelt g;
  g.add(at("20240520T110000Z", "Antes del reinicio"));
  g.add(at("20240520T115500Z", "Después del reinicio"));
  auto state = std::make_shared<MemoryFeedState>();
  {
    auto before = g.connector(state);
    CollectingWriter out;
    auto r = poll(*before, out);
    REQUIRE(r.ok());
    CHECK(r->items == 1);
  }
  CHECK(state->get("gdelt-mx", "gdelt.cursor") == std::optional<std::string>("20240520114500"));

  g.clock->advance(30min);  // the daemon was down for a while
  auto after = g.connector(state);
  CollectingWriter out;
  auto r = poll(*after, out);
  REQUIRE(r.ok());
  REQUIRE(out.items.size() == 1);
  CHECK(out.items[0].title == "Después del reinicio");
  const auto q = g.queries();
  REQUIRE(q.size() == 2);
  CHECK(q[1].at("startdatetime") == "20240520114500");  // where the first instance stopped
  CHECK(q[1].at("enddatetime") == "20240520121500");
  CHECK(state->get("gdelt-mx", "gdelt.cursor") == std::optional<std::string>("20240520121500"));
}

TEST_CASE("a truncated gdelt answer is continued from its last seendate so no article is lost", "[connectors][gdelt]") {
  FakeGdelt g;
  std::vector<std::string> times = {"20240520T104600Z", "20240520T105000Z", "20240520T105000Z", "20240520T105500Z",
                                    "20240520T110000Z", "20240520T110000Z", "20240520T110000Z", "20240520T111500Z",
                                    "20240520T112000Z", "20240520T113000Z", "20240520T113000Z", "20240520T114459Z"};
  for (std::size_t i = 0; i < times.size(); ++i) {
    Article a = at(times[i], "Nota " + std::to_string(i));
    a.url += "-" + std::to_string(i);
    g.add(a);
  }
  auto c = g.connector(std::make_shared<MemoryFeedState>(), /*maxrecords=*/5);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == times.size());
  CHECK(out.items.size() == times.size());
  CHECK(ids_of(out.items).size() == times.size());

  const auto q = g.queries();
  REQUIRE(q.size() >= 3);
  CHECK(q.front().at("startdatetime") == "20240520104500");
  for (std::size_t i = 1; i < q.size(); ++i) {
    CHECK(q[i].at("enddatetime") == "20240520114500");
    CHECK(q[i].at("startdatetime") > q[i - 1].at("startdatetime"));  // always progressing
  }
  CHECK(q[1].at("startdatetime") == "20240520110000");  // the first answer's last seendate

  g.clock->advance(15min);
  CollectingWriter next;
  REQUIRE(poll(*c, next).ok());
  CHECK(next.items.empty());
  CHECK(g.queries().back().at("startdatetime") == "20240520114500");
}

TEST_CASE("more gdelt articles in one second than maxrecords are written as far as GDELT returns them",
          "[connectors][gdelt]") {
  FakeGdelt g;
  for (int i = 0; i < 5; ++i) {
    Article a = at("20240520T110000Z", "Misma hora " + std::to_string(i));
    a.url += "-" + std::to_string(i);
    g.add(a);
  }
  g.add(at("20240520T112000Z", "Más tarde"));
  auto c = g.connector(std::make_shared<MemoryFeedState>(), /*maxrecords=*/3);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(out.items.size() == 4);  // three of the five at 11:00:00, then the later one
  CHECK(out.items.back().title == "Más tarde");
  const auto q = g.queries();
  CHECK(q.size() <= 8);
  CHECK(std::any_of(q.begin(), q.end(), [](const auto& m) { return m.at("startdatetime") == "20240520110001"; }));
}

TEST_CASE("a gdelt backlog beyond one poll's requests resumes on the next poll without losses", "[connectors][gdelt]") {
  FakeGdelt g;
  for (int i = 0; i < 20; ++i) {
    const int minute = 46 + i;  // 10:46 .. 11:05, one a minute
    char seendate[32];
    std::snprintf(seendate, sizeof seendate, "20240520T%02d%02d00Z", 10 + minute / 60, minute % 60);
    g.add(at(seendate, "Nota " + std::to_string(i)));
  }
  // Two records per answer: each request completes one article, so the backlog needs 20.
  auto c = g.connector(std::make_shared<MemoryFeedState>(), /*maxrecords=*/2);
  CollectingWriter out;
  std::vector<std::size_t> per_poll;
  for (int polls = 0; polls < 6; ++polls) {
    const std::size_t before = g.http->urls().size();
    auto r = poll(*c, out);
    REQUIRE(r.ok());
    per_poll.push_back(g.http->urls().size() - before);
    if (per_poll.back() < 8) break;  // the window was finished within the budget
  }
  REQUIRE(per_poll.size() == 3);
  CHECK(per_poll[0] == 8);
  CHECK(per_poll[1] == 8);
  CHECK(out.items.size() == 20);
  CHECK(ids_of(out.items).size() == 20);
}

TEST_CASE("an HTML or plain-text page instead of gdelt JSON is a parse error and the window is asked again",
          "[connectors][gdelt]") {
  FakeGdelt g;
  g.server.on("GET", kPath, [](const ReceivedRequest&) {
    return CannedResponse{
        200, "<!DOCTYPE html>\n<html><body><h1>Service Unavailable</h1></body></html>", "text/html", {}};
  });
  auto c = g.connector(std::make_shared<MemoryFeedState>());
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "parse");
  CHECK_THAT(r.error().message, Catch::StartsWith("feed 'gdelt-mx': ") && Catch::Contains("not JSON") &&
                                    Catch::Contains("<!DOCTYPE html>"));

  g.server.on("GET", kPath, [](const ReceivedRequest&) {
    return CannedResponse{200, "Please limit requests to one every 5 seconds.", "text/plain", {}};
  });
  auto text = poll(*c, out);
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().reason == "parse");
  CHECK_THAT(text.error().message, Catch::Contains("Please limit requests"));

  const auto q = g.queries();
  REQUIRE(q.size() == 2);
  CHECK(q[1].at("startdatetime") == q[0].at("startdatetime"));  // nothing was skipped
}

TEST_CASE("a gdelt record with a bad escape is dropped and counted, the others are kept", "[connectors][gdelt]") {
  FakeGdelt g;
  const std::string body = R"({"articles": [
 {"url": "https://a.example.mx/1", "url_mobile": "", "title": "Primera", "seendate": "20240520T110000Z", "socialimage": "", "domain": "a.example.mx", "language": "Spanish", "sourcecountry": "Mexico"},
 {"url": "https://a.example.mx/2", "url_mobile": "", "title": "Rota \q escape {", "seendate": "20240520T110500Z", "socialimage": "", "domain": "a.example.mx", "language": "Spanish", "sourcecountry": "Mexico"},
 {"url": "https://a.example.mx/3", "url_mobile": "", "title": "Tercera", "seendate": "20240520T111000Z", "socialimage": "", "domain": "a.example.mx", "language": "Spanish", "sourcecountry": "Mexico"}
]})";
  g.server.on("GET", kPath, [body](const ReceivedRequest&) {
    return CannedResponse{200, body, "application/json", {}};
  });
  auto c = g.connector(std::make_shared<MemoryFeedState>());
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == 2);
  CHECK(r->skipped == 1);
  REQUIRE(out.items.size() == 2);
  CHECK(out.items[0].title == "Primera");
  CHECK(out.items[1].title == "Tercera");
}

TEST_CASE("a gdelt 429 with Retry-After is an http_status error that keeps the cursor", "[connectors][gdelt]") {
  FakeGdelt g;
  g.server.on("GET", kPath, [](const ReceivedRequest&) {
    return CannedResponse{429, "Please limit requests to one every 5 seconds.", "text/plain", {{"Retry-After", "60"}}};
  });
  auto state = std::make_shared<MemoryFeedState>();
  auto c = g.connector(state);
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "http_status");
  CHECK_THAT(r.error().message, Catch::Contains("HTTP 429") && Catch::Contains("Retry-After 60s"));
  REQUIRE(c->retry_after());
  CHECK(*c->retry_after() == 60s);
  CHECK_FALSE(state->get("gdelt-mx", "gdelt.cursor"));
}

TEST_CASE("the gdelt connector reports the bytes of every answer and an empty answer as no articles",
          "[connectors][gdelt]") {
  FakeGdelt g;
  g.server.on("GET", kPath, [](const ReceivedRequest&) { return CannedResponse{200, "{}", "application/json", {}}; });
  auto c = g.connector(std::make_shared<MemoryFeedState>());
  CollectingWriter out;
  auto r = poll(*c, out);
  REQUIRE(r.ok());
  CHECK(r->items == 0);
  CHECK(r->bytes == 2);
}

TEST_CASE("gdelt settings out of range are config errors", "[connectors][gdelt]") {
  FakeGdelt g;
  auto too_many = g.connector(nullptr, 251);
  CollectingWriter out;
  auto r = poll(*too_many, out);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "config");
  CHECK_THAT(r.error().message, Catch::Contains("maxrecords"));
  CHECK(g.http->urls().empty());
}

TEST_CASE("the real gdelt ArtList captures of the corpora parse and normalise", "[connectors][gdelt][corpus]") {
  const auto root = test::corpora_dir();
  if (!root) return;
  const auto dir = *root / "gdelt" / "doc-artlist";
  if (!std::filesystem::is_directory(dir)) {
    WARN("SKIP: " << dir.string() << " is absent");
    return;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path().filename().string());
    FakeGdelt g;
    // Answer with the capture once, then with nothing: its seendates span weeks.
    const std::string body = test::read_file(entry.path());
    g.server.on("GET", kPath, [&g, body](const ReceivedRequest&) {
      const bool first = g.http->urls().size() == 1;
      return CannedResponse{200, first ? body : std::string("{}"), "application/json", {}};
    });
    g.clock = std::make_shared<ManualClock>(*parse_rfc3339("2026-07-01T00:00:00Z"));
    ConnectorRegistry registry;
    register_builtin_connectors(registry);
    const ConnectorKind* kind = registry.find("gdelt");
    FeedSpec spec;
    spec.name = "corpus";
    spec.settings = defaults_of(kind->schema);
    spec.settings.set("query", std::string("india"));
    spec.settings.set("endpoint", g.server.url(kPath));
    spec.settings.set("allow_private", true);
    spec.settings.set("initial_window", std::chrono::milliseconds(std::chrono::hours(24 * 365)));
    spec.settings.set("request_gap", std::chrono::milliseconds(0));
    auto c = kind->create(spec, ConnectorServices{g.http, g.clock, std::make_shared<MemoryFeedState>()});
    CollectingWriter out;
    auto r = poll(*c, out);
    REQUIRE(r.ok());
    CHECK(r->skipped == 0);
    CHECK(out.items.size() >= 100);
    for (const auto& item : out.items) {
      INFO(item.title);
      CHECK_FALSE(item.title.empty());
      CHECK(item.title.front() != ' ');
      CHECK(item.title.back() != ' ');
      CHECK(item.title.find("  ") == std::string::npos);
      CHECK(item.title.find(" ,") == std::string::npos);
      CHECK(item.title.find(" ?") == std::string::npos);
      CHECK(item.title.find("\xE2\x80\x8B") == std::string::npos);  // U+200B
      CHECK_THAT(item.url, Catch::StartsWith("http"));
      CHECK(item.url.find(":443") == std::string::npos);
      CHECK_FALSE(item.lang.empty());  // every language in the captures is in the table
      CHECK_FALSE(item.published_is_fetch_time);
      REQUIRE(item.tags.size() == 2);
      CHECK_THAT(item.tags[0], Catch::StartsWith("domain:"));
      CHECK_THAT(item.tags[1], Catch::StartsWith("sourcecountry:"));
    }
    std::set<std::string> titles;
    for (const auto& item : out.items) titles.insert(item.title);
    if (entry.path().filename().string().starts_with("daxdashboard")) {
      CHECK(out.items.size() == 105);  // not truncated: every record
      CHECK(titles.count("DAX Recovers After Early Setback, Up 0.5%") == 1);
      CHECK(titles.count("DAX Up 1.2% As Stocks Rally On U.S.- Iran Peace Deal") == 1);
      CHECK(titles.count("SAP SE (SAP), Cyberwave Deploy Autonomous AI Robots in Logistics Warehouse") == 1);
    }
  }
}
