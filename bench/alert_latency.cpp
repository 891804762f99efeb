// End-to-end latency and throughput of the pipeline's back half, as a watch floor sees it: an
// item published on the bus is scored with the shipped packs, turned into an alert and POSTed by
// the webhook sink to a real HTTP receiver on loopback; the time from the publish to the receiver
// having the request is recorded per item.
//
//   alert_latency [--rules PATH] [--rate N] [--seconds S] [--scorers N]
//                 [--bus memory|kafka --bootstrap HOST:PORT,...] [--score-only]
//     --rate        items published per second, paced (default 1000); 0 publishes as fast as the
//                   bus takes them (the throughput run)
//     --seconds     how long to publish (default 5)
//     --bus kafka   the same stages over KafkaBus (bench/kafka_vs_memory.sh starts a mock cluster
//                   with `vigia dev mock-kafka` and compares both buses in one script)
//     --score-only  no alert stage: every item is published first, then the scorers start, and
//                   the rate at which hits appear on the hits topic (first to last) is the
//                   scorers' throughput on that bus
//
// A warm-up item goes through first (a Kafka consumer group needs seconds to form), so the
// figures are the steady state.
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
#include "vigia/core/kafka_bus.h"
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
  std::string bus = "memory";
  std::string bootstrap;
  bool score_only = false;
};

// `capacity`: the memory bus's queue size (the score-only run queues every item up front).
std::unique_ptr<Bus> make_bus(const Options& o, MetricsRegistry& metrics, std::size_t capacity = 4096) {
  if (o.bus == "memory") return std::make_unique<MemoryBus>(capacity);
  KafkaBusOptions k;
  k.properties = {{"bootstrap.servers", o.bootstrap}, {"fetch.wait.max.ms", "5"}};
  // Raw items batch a little; hits go at once (the latency a watch officer sees).
  k.linger_ms = {{std::string(topics::kItems), 5}, {std::string(topics::kHits), 0}};
  k.metrics = &metrics;
  auto bus = KafkaBus::create(k);
  if (!bus.ok()) {
    std::fprintf(stderr, "kafka: %s\n", bus.error().message.c_str());
    std::exit(2);
  }
  return std::move(*bus);
}

Item bench_item(std::size_t n) {
  Item item;
  item.source = "Bench Wire";
  item.connector = "file";
  item.summary = "State prosecutors said vials with forged labels were found in a warehouse in Apodaca and were "
                 "offered to private companies at 3,000 pesos a dose.";
  item.id = "bench-" + std::to_string(n);
  item.title = "Counterfeit Sputnik V vaccines seized in Nuevo León, case " + std::to_string(n);
  item.url = "https://wire.example.org/bench/" + std::to_string(n);
  item.fetched = Timestamp{
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())};
  return item;
}

// --score-only: the scorers' rate on this bus, from the first hit to the last.
int score_only(const Options& o, const rules::RuleSetPtr& rules) {
  MetricsRegistry metrics;
  const std::size_t n = static_cast<std::size_t>(o.seconds * 4000);  // under the mock's ~5 MB/partition
  auto bus = make_bus(o, metrics, n + 1);
  for (std::size_t i = 0; i < n; ++i) {
    const Item item = bench_item(i);
    if (!bus->publish(topics::kItems, item.id, encode_item(item)).ok()) return 1;
  }
  bus->flush(std::chrono::seconds(60));
  auto hits = bus->subscribe(topics::kHits, "bench-counter");
  rules::ScoreStageOptions so;
  so.workers = o.scorers;
  rules::ScoreStage score(rules, *bus, metrics, so);
  score.start();
  std::size_t got = 0;
  Steady::time_point first{}, last{};
  const auto give_up = Steady::now() + std::chrono::seconds(120);
  while (got < n && Steady::now() < give_up) {
    auto r = hits->poll(std::chrono::milliseconds(100));
    if (!r.ok() || !r->has_value()) continue;
    (void)hits->commit(**r);
    last = Steady::now();
    if (got++ == 0) first = last;
  }
  score.abort();
  score.join();
  const double span = std::chrono::duration<double>(last - first).count();
  const double rate = span > 0 ? static_cast<double>(got - 1) / span : 0.0;
  std::printf("%s bus, %zu scorer(s): %zu of %zu items scored into hits, %.0f items/s\n", o.bus.c_str(), o.scorers,
              got, n, rate);
  std::printf("RESULT bus=%s items=%zu items_per_s=%.0f\n", o.bus.c_str(), got, rate);
  return got == n ? 0 : 1;
}


double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const auto usage = [] {
    std::fprintf(stderr,
                 "usage: alert_latency [--rules PATH] [--rate N] [--seconds S] [--scorers N] "
                 "[--bus memory|kafka --bootstrap HOST:PORT] [--score-only]\n");
    return 2;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--score-only") {
      o.score_only = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (a == "--rules") o.rules = v;
    else if (a == "--rate") o.rate = std::atof(v);
    else if (a == "--seconds") o.seconds = std::atof(v);
    else if (a == "--scorers") o.scorers = static_cast<std::size_t>(std::atoi(v));
    else if (a == "--bus") o.bus = v;
    else if (a == "--bootstrap") o.bootstrap = v;
    else return usage();
  }
  if (o.bus != "memory" && (o.bus != "kafka" || o.bootstrap.empty())) {
    std::fprintf(stderr, "alert_latency: --bus is memory or kafka, and kafka needs --bootstrap\n");
    return 2;
  }
  log::set_level("warn");
  auto loaded = rules::load_rule_set({o.rules});
  if (!loaded.rules) {
    std::fprintf(stderr, "%s", loaded.diagnostics.to_text().c_str());
    return 2;
  }
  if (o.score_only) return score_only(o, loaded.rules);

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

  MetricsRegistry metrics;
  auto bus_ptr = make_bus(o, metrics);
  Bus& bus = *bus_ptr;
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

  // Warm-up: one item all the way through (Kafka: the consumer groups form first).
  {
    const Item warm = bench_item(1'000'000'000);
    if (!bus.publish(topics::kItems, warm.id, encode_item(warm)).ok()) return 1;
    const auto give_up = Steady::now() + std::chrono::seconds(60);
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (arrived.count(warm.id) > 0) break;
      }
      if (Steady::now() > give_up) {
        std::fprintf(stderr, "alert_latency: the warm-up item never arrived\n");
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::map<std::string, Steady::time_point> published;
  const auto begin = Steady::now();
  const auto until = begin + std::chrono::duration<double>(o.seconds);
  std::size_t n = 0;
  while (Steady::now() < until) {
    if (o.rate > 0) {
      const auto due = begin + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(n / o.rate));
      std::this_thread::sleep_until(due);
    }
    const Item item = bench_item(n);
    const std::string record = encode_item(item);
    const auto t = Steady::now();
    published.emplace(item.id, t);
    if (!bus.publish(topics::kItems, item.id, record).ok()) break;
    ++n;
  }
  const auto publish_end = Steady::now();
  if (auto* memory = dynamic_cast<MemoryBus*>(&bus)) {
    memory->close_topic(topics::kItems);
    score.join();
    memory->close_topic(topics::kHits);
    alert.drain_and_stop();
  } else {
    // Kafka: wait (bounded) for the alerts, then stop the stages.
    const auto give_up = Steady::now() + std::chrono::seconds(60);
    for (;;) {
      std::size_t have = 0;
      {
        std::lock_guard lock(mu);
        have = arrived.size();
      }
      if (have >= n + 1 || Steady::now() > give_up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto& kafka = dynamic_cast<KafkaBus&>(bus);
    kafka.close_topic(topics::kItems);
    score.join();
    kafka.close_topic(topics::kHits);
    alert.drain_and_stop();
  }
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
  std::printf("%s bus: published %zu items in %.2f s (%s), %zu alerts received, drain %.2f s\n", o.bus.c_str(), n,
              std::chrono::duration<double>(publish_end - begin).count(),
              o.rate > 0 ? (std::to_string(static_cast<int>(o.rate)) + "/s paced").c_str() : "unpaced",
              ms.size(), std::chrono::duration<double>(done - publish_end).count());
  std::printf("latency item on bus -> receiver has the alert: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 0.99), percentile(ms, 1.0));
  std::printf("RESULT bus=%s items=%zu alerts=%zu alerts_per_s=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", o.bus.c_str(), n, ms.size(),
              span > 0 ? static_cast<double>(ms.size()) / span : 0.0, percentile(ms, 0.5), percentile(ms, 0.99),
              percentile(ms, 1.0));
  return ms.size() == n ? 0 : 1;
}
