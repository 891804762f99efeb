// A real Prometheus server (Debian's `prometheus`) on loopback scrapes a running `vigia` every
// second, with the shipped alert rules loaded, and the test asks Prometheus's HTTP API what it
// stored: the series a watch-floor dashboard is built on must be there with the values the
// pipeline produced, and every alert rule must evaluate without error against them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include <simdjson.h>

#include "deploy_util.h"
#include "support/admin_client.h"
#include "support/growing_feed.h"
#include "support/loopback_server.h"
#include "support/process.h"
#include "support/test_paths.h"
#include "vigia/core/http_client.h"

using namespace vigia;
using namespace vigia::test;
using namespace std::chrono_literals;

namespace {

std::string url_encode(const std::string& s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class PrometheusApi {
 public:
  explicit PrometheusApi(int port) : base_("http://127.0.0.1:" + std::to_string(port)) {}

  std::optional<std::string> get(const std::string& path) const {
    HttpRequest r;
    r.url = base_ + path;
    r.allow_private_addresses = true;
    auto res = http_->perform(r);
    if (!res.ok() || res->status != 200) return std::nullopt;
    return res->body;
  }

  // The value of an instant query that yields exactly one sample; nullopt otherwise.
  std::optional<double> scalar(const std::string& promql) const {
    auto body = get("/api/v1/query?query=" + url_encode(promql));
    if (!body) return std::nullopt;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(*body).get(doc)) return std::nullopt;
    simdjson::dom::array result;
    if (doc["data"]["result"].get_array().get(result) || result.size() != 1) return std::nullopt;
    std::string_view value;
    if (result.at(0)["value"].at(1).get_string().get(value)) return std::nullopt;
    return std::stod(std::string(value));
  }

 private:
  std::string base_;
  HttpClientPtr http_ = make_curl_http_client();
};

}  // namespace

TEST_CASE("a real Prometheus scraping vigia stores items fetched, hits per rule, alerts delivered and latency",
          "[deploy][prometheus]") {
  const std::string prometheus = required_tool(VIGIA_PROMETHEUS, "prometheus");
  TempDir dir;
  LoopbackServer feeds;
  LoopbackServer hooks;
  // Three matching stories (one naming a cartel), two that match nothing, and a feed that fails.
  feeds.serve("/feed.xml",
              rss({{"Venden vacunas falsas contra Covid en Puebla", "https://noticias.example.mx/1"},
                   {"El CJNG ofrecía vacunas falsas en Zapopan", "https://noticias.example.mx/2"},
                   {"Marina intercepta lancha cargada de vacunas falsas frente a Manzanillo",
                    "https://noticias.example.mx/3"},
                   {"Jornada de vacunación en el centro de salud", "https://noticias.example.mx/4"},
                   {"Festival de cine en Morelia", "https://noticias.example.mx/5"}}),
              "application/rss+xml");
  feeds.on("GET", "/broken.xml", [](const ReceivedRequest&) { return CannedResponse{500, "oops", "text/plain", {}}; });
  hooks.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "ok", "text/plain", {}}; });

  // clang-format off
  write_file(dir / "vigia.yaml",
             "http: {listen: \"127.0.0.1:0\"}\n"
             "state_dir: " + (dir / "state").string() + "\n"
             "rules: {paths: [" + (source_dir() / "tests" / "fixtures" / "pipeline_rules.yaml").string() + "]}\n"
             "alerting: {stories: {enabled: false}}\n"
             "feeds:\n"
             "  - {name: loopback, type: http, url: \"" + feeds.url("/feed.xml") + "\", allow_private: true, interval: 1h}\n"
             "  - {name: broken, type: http, url: \"" + feeds.url("/broken.xml") + "\", allow_private: true,"
             " interval: 1s, stale_after: 0}\n"
             "ingest: {broken_after: 1, backoff: 1s, max_backoff: 1s}\n"
             "sinks:\n"
             "  - {name: hook, type: webhook, url: \"" + hooks.url("/hook") + "\", allow_private: true}\n");
  // clang-format on
  ChildProcess vigia({vigia_binary(), "run", "--config", (dir / "vigia.yaml").string()}, dir.path());
  const int vigia_port = admin_port(vigia);

  const int port = free_loopback_port();
  const auto rules_file = source_dir() / "helm" / "vigia" / "files" / "prometheus-rules.yaml";
  write_file(dir / "prometheus.yml",
             "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
             "rule_files: [\"" + rules_file.string() + "\"]\n"
             "scrape_configs:\n"
             "  - job_name: vigia\n"
             "    static_configs: [{targets: [\"127.0.0.1:" + std::to_string(vigia_port) + "\"]}]\n");
  ChildProcess server({prometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                       "--storage.tsdb.path=" + (dir / "tsdb").string(),
                       "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
                      dir.path());
  PrometheusApi api(port);
  {
    INFO("prometheus stderr: " << server.err());
    REQUIRE(eventually(60s, [&] { return api.get("/-/ready").has_value(); }));
  }

  // Each series as Prometheus stored it from its own scrapes.
  const auto settles_at = [&](const std::string& promql, double want) {
    std::optional<double> last;
    const bool ok = eventually(60s, [&] {
      last = api.scalar(promql);
      return last && *last == want;
    });
    INFO(promql << " last: " << (last ? std::to_string(*last) : "no single sample"));
    CHECK(ok);
    return ok;
  };
  settles_at(R"(up{job="vigia"})", 1);
  settles_at(R"(vigia_connectors_items_received_total{feed="loopback"})", 5);
  settles_at(R"(vigia_connectors_items_sent_total{feed="loopback"})", 5);
  settles_at(R"(vigia_rules_items_scored_total)", 5);
  settles_at(R"(vigia_rule_matches_total{rule="test-fake-vaccines",category="fake_vaccine_site",severity="high"})", 3);
  settles_at(R"(vigia_rules_entity_matches_total{list="cartels",entity="CJNG",category="fake_vaccine_site"})", 1);
  // Three story alerts and the ops alert for the broken feed, each observed end to end.
  settles_at(R"(vigia_alerting_alerts_sent_total{sink="hook"})", 4);
  settles_at(R"(vigia_alerting_end_to_end_latency_seconds_count{sink="hook"})", 4);
  settles_at(R"(vigia_connectors_feed_broken{feed="broken"})", 1);
  settles_at(R"(vigia_alerting_circuit_state{sink="hook",state="closed"})", 1);
  const auto received = hooks.requests();
  CHECK(received.size() == 4);
  CHECK(std::count_if(received.begin(), received.end(), [](const ReceivedRequest& r) {
          return r.body.find(R"("rule":"vigia-feed-broken")") != std::string::npos;
        }) == 1);

  // Sane latencies: the whole pipeline (fetch to delivered alert) and the scan took more than
  // nothing and less than the test's own patience.
  const auto mean_latency = api.scalar(
      R"(vigia_alerting_end_to_end_latency_seconds_sum{sink="hook"} / vigia_alerting_end_to_end_latency_seconds_count{sink="hook"})");
  REQUIRE(mean_latency);
  CHECK(*mean_latency > 0);
  CHECK(*mean_latency < 60);
  const auto p99 = api.scalar(R"(histogram_quantile(0.99, vigia_alerting_end_to_end_latency_seconds_bucket{sink="hook"}))");
  REQUIRE(p99);
  CHECK(*p99 > 0);
  CHECK(*p99 <= 60);
  const auto scan = api.scalar("vigia_rules_scan_duration_seconds_sum / vigia_rules_scan_duration_seconds_count");
  REQUIRE(scan);
  CHECK(*scan > 0);
  CHECK(*scan < 1);
  std::printf("prometheus saw: 5 items fetched, 3 hits of test-fake-vaccines, 4 alerts delivered (one ops); "
              "end-to-end mean %.4f s, p99 bucket %.3f s; scan mean %.6f s\n",
              *mean_latency, *p99, *scan);

  // The shipped alert rules load and evaluate against these series without error. Evaluation
  // happens every second; a rule is judged once it has been evaluated at least once.
  std::string rules_json;
  const bool evaluated = eventually(30s, [&] {
    auto body = api.get("/api/v1/rules");
    if (!body) return false;
    rules_json = *body;
    return rules_json.find(R"("lastEvaluation":"0001-01-01T00:00:00Z")") == std::string::npos &&
           rules_json.find(R"("type":"alerting")") != std::string::npos;
  });
  INFO(rules_json);
  REQUIRE(evaluated);
  CHECK(rules_json.find(R"("health":"err")") == std::string::npos);
  CHECK(rules_json.find(R"("health":"unknown")") == std::string::npos);
}
