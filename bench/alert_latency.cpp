// End-to-end latency and throughput of the embedded pipeline's back half, as a watch floor sees
// it: an item published on the in-process bus is scored with the shipped packs, turned into an
// alert and POSTed by the webhook sink to a real HTTP receiver on loopback; the time from the
// publish to the receiver having the request is recorded per item.
//
//   alert_latency [--rules PATH] [--rate N] [--seconds S] [--scorers N]
//     --rate     items published per second, paced (default 1000); 0 publishes as fast as the
//                bus takes them (the throughput run)
//     --seconds  how long to publish (default 5)
//
// Every item matches a rule (a copy of a headline the packs alert on, with its own id and a
// numbered title), stories are off (so each item is its own alert), and the receiver answers
// 200 at once. Output: p50/p90/p99/max latency in ms and alerts/s delivered, then a RESULT line.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vigia/alerting/alert_stage.h"
#include "vigia/core/codec.h"
#include "vigia/core/config_schema.h"
#include "vigia/core/http_client.h"
#include "vigia/core/log.h"
#include "vigia/core/memory_bus.h"
#include "vigia/core/metrics.h"
#include "vigia/rules/loader.h"
#include "vigia/rules/score_stage.h"

using namespace vigia;
using Steady = std::chrono::steady_clock;

namespace {

struct Options {
  std::string rules = std::string(VIGIA_SOURCE_DIR) + "/rules/packs";
  double rate = 1000;
  double seconds = 5;
  std::size_t scorers = 1;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rules") o.rules = argv[i + 1];
    else if (a == "--rate") o.rate = std::atof(argv[i + 1]);
    else if (a == "--seconds") o.seconds = std::atof(argv[i + 1]);
    else if (a == "--scorers") o.scorers = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "usage: alert_latency [--rules PATH] [--rate N] [--seconds S] [--scorers N]\n");
      return 2;
    }
  }
  log::set_level("warn");
  auto loaded = rules::load_rule_set({o.rules});
  if (!loaded.rules) {
    std::fprintf(stderr, "%s", loaded.diagnostics.to_text().c_str());
    return 2;
  }

  // The receiver: records when each alert (by item id) arrived.
  std::mutex mu;
  std::map<std::string, Steady::time_point> arrived;
  httplib::Server server;
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    const auto now = Steady::now();
    const auto at = req.body.find("\"item\":{\"id\":\"");
    if (at != std::string::npos) {
      const auto start = at + 14;
      const auto end = req.body.find('"', start);
      std::lock_guard lock(mu);
      arrived.emplace(req.body.substr(start, end - start), now);
    }
    res.status = 200;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread server_thread([&] { server.listen_after_bind(); });

  MemoryBus bus(4096);
  MetricsRegistry metrics;
  alerting::SinkRegistry registry;
  alerting::register_builtin_sinks(registry);
  alerting::SinkSpec spec;
  spec.name = "hook";
  spec.type = "webhook";
  spec.settings = defaults_of(registry.find("webhook")->schema);
  spec.settings.set("url", "http://127.0.0.1:" + std::to_string(port) + "/hook");
  spec.settings.set("allow_private", true);
  const alerting::SinkServices services{make_curl_http_client(), system_clock(), nullptr};
  std::vector<std::pair<alerting::SinkSpec, alerting::SinkPtr>> sinks;
  sinks.emplace_back(spec, registry.find("webhook")->create(spec, services));
  alerting::AlertStage alert(std::move(sinks), bus, metrics, system_clock());
  rules::ScoreStageOptions so;
  so.workers = o.scorers;
  rules::ScoreStage score(loaded.rules, bus, metrics, so);
  alert.start();
  score.start();

  Item base;
  base.source = "Bench Wire";
  base.connector = "file";
  base.summary = "State prosecutors said vials with forged labels were found in a warehouse in Apodaca and were "
                 "offered to private companies at 3,000 pesos a dose.";
  std::map<std::string, Steady::time_point> published;
  const auto begin = Steady::now();
  const auto until = begin + std::chrono::duration<double>(o.seconds);
  std::size_t n = 0;
  while (Steady::now() < until) {
    if (o.rate > 0) {
      const auto due = begin + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(n / o.rate));
      std::this_thread::sleep_until(due);
    }
    Item item = base;
    item.id = "bench-" + std::to_string(n);
    item.title = "Counterfeit Sputnik V vaccines seized in Nuevo León, case " + std::to_string(n);
    item.url = "https://wire.example.org/bench/" + std::to_string(n);
    item.fetched = Timestamp{std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())};
    const std::string record = encode_item(item);
    const auto t = Steady::now();
    published.emplace(item.id, t);
    if (!bus.publish(topics::kItems, item.id, record).ok()) break;
    ++n;
  }
  const auto publish_end = Steady::now();
  bus.close_topic(topics::kItems);
  score.join();
  bus.close_topic(topics::kHits);
  alert.drain_and_stop();
  const auto done = Steady::now();
  server.stop();
  server_thread.join();

  std::vector<double> ms;
  Steady::time_point last = begin;
  {
    std::lock_guard lock(mu);
    for (const auto& [id, at] : arrived) {
      if (auto p = published.find(id); p != published.end()) {
        ms.push_back(std::chrono::duration<double, std::milli>(at - p->second).count());
        last = std::max(last, at);
      }
    }
  }
  const double span = std::chrono::duration<double>(last - begin).count();
  std::printf("published %zu items in %.2f s (%s), %zu alerts received, drain %.2f s\n", n,
              std::chrono::duration<double>(publish_end - begin).count(),
              o.rate > 0 ? (std::to_string(static_cast<int>(o.rate)) + "/s paced").c_str() : "unpaced",
              ms.size(), std::chrono::duration<double>(done - publish_end).count());
  std::printf("latency item on bus -> receiver has the alert: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 0.99), percentile(ms, 1.0));
  std::printf("RESULT items=%zu alerts=%zu alerts_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", n, ms.size(),
              span > 0 ? static_cast<double>(ms.size()) / span : 0.0, percentile(ms, 0.5), percentile(ms, 0.99),
              percentile(ms, 1.0));
  return ms.size() == n ? 0 : 1;
}
