// What the chat and Alertmanager receivers share: where to POST (a URL that is itself a secret,
// from `url`, `url_env` or `url_file`), the per-attempt timeout, the private-address guard, and
// the POST itself with the same outcome classification as the generic webhook (2xx delivered;
// 408, 429 with Retry-After and 5xx retried; other statuses rejected).
//
// One sink per file pair renders the payload (slack_sink, teams_sink, discord_sink,
// mattermost_sink, alertmanager_sink); this file only moves bytes.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "vigia/alerting/sink.h"

namespace vigia::alerting {

struct ReceiverTarget {
  std::string url;    // a secret: never logged
  std::string where;  // redact_url(url): scheme and host, for messages
  std::chrono::milliseconds timeout{10'000};
  bool allow_private = false;
};

// The keys every receiver has: url, url_env, url_file, timeout, allow_private.
ConfigSchema receiver_target_keys();

// Reads and checks those keys (exactly one URL source; http or https with a host; a positive
// timeout). Throws std::invalid_argument naming the sink, never the URL.
ReceiverTarget read_receiver_target(const SinkSpec& spec);

// A sink that POSTs `render(alert)` as JSON to the target. `render` runs on the delivering
// thread; `kind` names the receiver kind in debug logs.
class JsonPostSink final : public Sink {
 public:
  using Render = std::function<std::string(const Alert&)>;
  JsonPostSink(std::string name, std::string kind, ReceiverTarget target, Render render, const SinkServices& services);
  DeliveryResult deliver(const Alert& alert) override;

 private:
  std::string name_;
  std::string kind_;
  ReceiverTarget target_;
  Render render_;
  HttpClientPtr http_;
  ClockPtr clock_;
};

}  // namespace vigia::alerting
