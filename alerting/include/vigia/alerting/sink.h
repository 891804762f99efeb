// Sinks deliver one Alert to one receiver (a webhook, the console, a file). A sink only
// classifies the outcome; the alert stage owns retries, backoff and the dead-letter file
// (Fluent Bit's FLB_OK / FLB_RETRY / FLB_ERROR split).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/core/clock.h"
#include "vigia/core/config_schema.h"
#include "vigia/core/diagnostics.h"
#include "vigia/core/http_client.h"
#include "vigia/core/kind_registry.h"
#include "vigia/core/model.h"

namespace vigia::alerting {

enum class Delivery { kDelivered, kRetry, kReject };

struct DeliveryResult {
  Delivery outcome = Delivery::kDelivered;
  std::string reason;   // when not delivered: a metric label ("http_5xx", "timeout", "http_4xx", ...)
  std::string message;  // for the log; never contains secrets (webhook URLs, tokens)
  std::optional<std::chrono::milliseconds> retry_after;  // the receiver asked us to wait
};

// deliver() is called from one thread at a time per sink instance.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual DeliveryResult deliver(const Alert& alert) = 0;
};
using SinkPtr = std::unique_ptr<Sink>;

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60'000};
  // An alert this old (from its creation) is dead-lettered instead of tried again: news an hour
  // late is better in the dead-letter store, replayable, than trickling in behind fresh alerts.
  std::chrono::milliseconds max_age{std::chrono::hours(1)};
  // This many failed attempts in a row open the sink's circuit: no attempt for `circuit_cooldown`,
  // then one trial attempt (half-open) that closes it on success or opens it again.
  int circuit_failures = 5;
  std::chrono::milliseconds circuit_cooldown{30'000};
};

struct SinkSpec {
  std::string name;  // unique; a metric label
  std::string type;  // the sink kind: "webhook", "console", "file"
  std::string min_severity = "info";    // route: only alerts at least this severe
  std::vector<std::string> categories;  // route: only these categories (empty: all)
  // A digest receiver: when set, the alerts routed to this sink are batched and sent as one
  // digest message per interval (e.g. low-severity alerts for a daily summary channel).
  std::chrono::milliseconds digest_every{0};
  RetryPolicy retry;
  ConfigValues settings;  // the kind's own keys, validated against SinkKind::schema
  SourceLocation where;
};

struct SinkServices {
  HttpClientPtr http;
  ClockPtr clock;
  std::ostream* console = nullptr;  // where the console sink writes (stdout in the daemon)
};

// create() runs at configuration time, on settings already validated against `schema`. It
// throws std::invalid_argument (message names the sink, never a secret) for values the schema
// cannot express, e.g. a webhook URL that is not http(s) or an unknown file format; the daemon
// turns that into a diagnostic at `spec.where`.
struct SinkKind {
  std::string name;
  std::string description;
  ConfigSchema schema;
  SinkPtr (*create)(const SinkSpec& spec, const SinkServices& services);
};

using SinkRegistry = KindRegistry<SinkKind>;

// Adds "webhook", "console", "file", "slack", "teams", "discord", "mattermost" and
// "alertmanager". Called from daemon/.
void register_builtin_sinks(SinkRegistry& registry);

}  // namespace vigia::alerting
