// `vigia fetch`: what the connectors make of a source, as Item JSONL on stdout — for debugging a
// feed, and as the input of `vigia scan`. It never touches the daemon's state database: nothing
// fetched here is marked as seen.
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "commands.h"
#include "pipeline.h"
#include "signal_watcher.h"
#include "vigia/connectors/ingest_stage.h"
#include "vigia/core/codec.h"
#include "vigia/core/log.h"
#include "vigia/core/memory_bus.h"

namespace vigia::daemon {
namespace {

using namespace std::chrono_literals;

// Prints items as they come; one line each, flushed so a pipe sees them at once.
class PrintingWriter final : public connectors::ItemWriter {
 public:
  Status write(Item item) override {
    const std::string line = encode_item(item) + "\n";
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
    return ok_status();
  }

 private:
  std::mutex mu_;
};

// The name an ad-hoc source goes by (Item::source): its host, or its file name.
std::string source_name(const std::string& source) {
  if (source.starts_with("http://") || source.starts_with("https://")) {
    const std::string host = redact_url(source);
    return host.substr(host.find("://") + 3);
  }
  return std::filesystem::path(source).filename().string();
}

std::optional<connectors::FeedSpec> adhoc_spec(const std::string& source, bool allow_private,
                                               const connectors::ConnectorRegistry& registry) {
  const bool is_url = source.starts_with("http://") || source.starts_with("https://");
  if (!is_url && !std::filesystem::exists(source)) {
    std::fprintf(stderr, "vigia fetch: %s: no such file (and not an http(s) URL)\n", source.c_str());
    return std::nullopt;
  }
  const auto* kind = registry.find(is_url ? "http" : "file");
  connectors::FeedSpec spec;
  spec.name = source_name(source);
  spec.type = kind->name;
  spec.settings = defaults_of(kind->schema);
  spec.settings.set(is_url ? "url" : "path", source);
  if (is_url) spec.settings.set("allow_private", allow_private);
  return spec;
}

// One poll of each feed; 0 when all worked.
int fetch_once(std::vector<std::pair<connectors::FeedSpec, connectors::ConnectorPtr>>& feeds) {
  PrintingWriter out;
  int failed = 0;
  for (auto& [spec, connector] : feeds) {
    auto report = connector->poll(out, std::stop_token{});
    if (!report.ok()) {
      // Connector messages usually name the feed already.
      const std::string& message = report.error().message;
      const std::string prefix = message.starts_with("feed '") ? "" : spec.name + ": ";
      std::fprintf(stderr, "vigia fetch: %s%s [%s]\n", prefix.c_str(), message.c_str(), report.error().reason.c_str());
      ++failed;
      continue;
    }
    std::fprintf(stderr, "vigia fetch: %s: %zu items%s\n", spec.name.c_str(), report->items,
                 report->not_modified ? " (not modified)" : "");
  }
  return failed == 0 ? 0 : 1;
}

// Polls like the daemon (schedule, backoff, dedup in memory) until SIGINT/SIGTERM, printing new items.
int fetch_forever(std::vector<std::pair<connectors::FeedSpec, connectors::ConnectorPtr>> feeds,
                  SignalWatcher& signals) {
  MemoryBus bus(1024);
  auto consumer = bus.subscribe(topics::kItems, "fetch");
  vigia::MetricsRegistry metrics;
  connectors::IngestOptions options;
  options.events_topic.clear();  // no alert stage here to route feed-health events to
  connectors::IngestStage stage(std::move(feeds), bus, metrics, system_clock(), options);
  std::thread printer([&] {
    for (;;) {
      auto r = consumer->poll(200ms);
      if (!r.ok() || !r->has_value()) {
        if (consumer->finished()) return;
        continue;
      }
      std::fwrite((*r)->value.data(), 1, (*r)->value.size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
      (void)consumer->commit(**r);
    }
  });
  stage.start();
  signals.start();
  signals.wait_for_stop();
  stage.stop();
  bus.close_topic(topics::kItems);
  printer.join();
  return 0;
}

}  // namespace

int fetch_command(const FetchOptions& options) {
  SignalWatcher signals;  // before any thread exists
  Registries registries;
  std::vector<std::pair<connectors::FeedSpec, connectors::ConnectorPtr>> feeds;
  const connectors::ConnectorServices services{make_curl_multi_http_client({8, 2}), system_clock(),
                                               std::make_shared<connectors::MemoryFeedState>()};
  std::vector<connectors::FeedSpec> specs;
  if (!options.config.empty()) {
    auto loaded = load_config(options.config, registries.connectors, registries.sinks);
    std::fputs(loaded.diagnostics.to_text().c_str(), stderr);
    if (!loaded.config) return 2;
    for (const auto& name : options.feeds) {
      const auto& all = loaded.config->feeds;
      if (std::none_of(all.begin(), all.end(), [&](const auto& f) { return f.name == name; })) {
        std::string names;
        for (const auto& f : all) names += " " + f.name;
        std::fprintf(stderr, "vigia fetch: no feed named '%s' in %s (feeds:%s)\n", name.c_str(), options.config.c_str(),
                     names.c_str());
        return 2;
      }
    }
    for (auto& spec : loaded.config->feeds) {
      if (options.feeds.empty() || std::find(options.feeds.begin(), options.feeds.end(), spec.name) != options.feeds.end()) {
        specs.push_back(std::move(spec));
      }
    }
  } else {
    for (const auto& source : options.sources) {
      auto spec = adhoc_spec(source, options.allow_private, registries.connectors);
      if (!spec) return 1;
      specs.push_back(std::move(*spec));
    }
  }
  for (auto& spec : specs) {
    try {
      auto connector = registries.connectors.find(spec.type)->create(spec, services);
      feeds.emplace_back(std::move(spec), std::move(connector));
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "vigia fetch: %s: %s\n", spec.name.c_str(), e.what());
      return 2;
    }
  }
  // Ad-hoc sources are one-shot by nature; a config keeps polling unless --once.
  if (options.once || options.config.empty()) return fetch_once(feeds);
  return fetch_forever(std::move(feeds), signals);
}

}  // namespace vigia::daemon
