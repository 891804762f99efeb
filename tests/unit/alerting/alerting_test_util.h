// Shared helpers for the alerting tests: a sample hit, sinks built through the registry (the
// daemon's path), a scriptable in-process sink, and metric lookups in the exposition text.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "vigia/alerting/sink.h"
#include "vigia/core/model.h"
#include "vigia/core/time.h"

namespace vigia::alerting::test {

using namespace std::chrono_literals;

inline Timestamp at(const char* rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) throw std::invalid_argument(rfc3339);
  return *t;
}

// A realistic hit: one item, two rules fired (a high "cartels" one and a low "fuel-theft" one).
inline Hit sample_hit(const std::string& item_id = "3f2a9c0d1e4b5a6978877665544332211") {
  Hit hit;
  hit.item.id = item_id;
  hit.item.source = "El Universal";
  hit.item.connector = "http";
  hit.item.url = "https://www.eluniversal.com.mx/estados/detienen-cjng-salamanca/";
  hit.item.title = "Detienen a presuntos integrantes del CJNG en Salamanca";
  hit.item.summary = "Elementos de la Guardia Nacional detuvieron a cinco personas ligadas al robo de combustible.";
  hit.item.published = at("2024-05-03T12:00:00Z");
  hit.item.fetched = at("2024-05-03T12:04:30Z");

  Match cartel;
  cartel.rule = "cjng-activity";
  cartel.title = "Actividad del Cártel Jalisco Nueva Generación";
  cartel.category = "cartels";
  cartel.severity = "high";
  cartel.score = 8.5;
  cartel.terms = {
      {"cjng", "title", 37, 41, "Detienen a presuntos integrantes del [[CJNG]] en Salamanca"},
      {"detencion", "title", 0, 8, "[[Detienen]] a presuntos integrantes del CJNG en Salamanca"},
  };
  Match fuel;
  fuel.rule = "huachicol";
  fuel.title = "Robo de combustible";
  fuel.category = "fuel-theft";
  fuel.severity = "low";
  fuel.score = 3;
  fuel.terms = {{"robo-combustible", "summary", 64, 83, "…cinco personas ligadas al [[robo de combustible]]."}};
  hit.matches = {cartel, fuel};
  hit.entities = {{"cartels", {"CJNG"}}, {"places_mx", {"Guanajuato", "Salamanca"}}};
  return hit;
}

inline Alert sample_alert() {
  const Hit hit = sample_hit();
  Alert a;
  a.id = "0123456789abcdef0123456789abcdef";
  a.rule = hit.matches[0].rule;
  a.title = hit.matches[0].title;
  a.severity = hit.matches[0].severity;
  a.score = hit.matches[0].score;
  a.category = hit.matches[0].category;
  a.item = {hit.item.id, hit.item.title, hit.item.url, hit.item.source, hit.item.published, hit.item.fetched};
  a.snippets = hit.matches[0].terms;
  a.entities = hit.entities;
  a.story = {hit.item.id, {hit.item.source}};
  a.first_seen = at("2024-05-03T12:05:00Z");
  a.last_seen = a.first_seen;
  return a;
}

inline RetryPolicy fast_retry(int max_attempts, std::chrono::milliseconds initial = 5ms,
                              std::chrono::milliseconds max = 20ms) {
  return RetryPolicy{max_attempts, initial, max};
}

// A spec for `type` with the kind's defaults, as the daemon would build it from YAML.
SinkSpec make_spec(const std::string& name, const std::string& type, RetryPolicy retry = fast_retry(3));

// Creates a built-in sink through the registry, exactly as the daemon does.
SinkPtr create_sink(const SinkSpec& spec, const SinkServices& services = {});

// A webhook spec aimed at `url`, allowed to reach loopback, with a short timeout.
SinkSpec webhook_spec(const std::string& name, const std::string& url, RetryPolicy retry = fast_retry(3));

// A sink whose outcome a test scripts; it records what it was given. The state is shared so
// the test keeps a handle after the sink moved into the stage.
class ScriptedSink final : public Sink {
 public:
  using Script = std::function<DeliveryResult(const Alert& alert, int call)>;
  struct State {
    std::mutex mu;
    std::condition_variable changed;
    std::vector<Alert> alerts;  // every attempt, in order
    int calls = 0;
    // Waits (bounded) until at least `n` attempts were made; returns how many were.
    int wait_calls(int n, std::chrono::milliseconds timeout = 5s);
  };

  explicit ScriptedSink(Script script) : script_(std::move(script)), state_(std::make_shared<State>()) {}
  std::shared_ptr<State> state() const { return state_; }
  DeliveryResult deliver(const Alert& alert) override;

 private:
  Script script_;
  std::shared_ptr<State> state_;
};

inline ScriptedSink::Script always(Delivery outcome, std::string reason = {}) {
  return [outcome, reason](const Alert&, int) { return DeliveryResult{outcome, reason, reason, std::nullopt}; };
}

// The value of the sample `name{labels}` in Prometheus text, or -1 when it is absent.
double metric_value(const std::string& exposition, const std::string& name,
                    const std::map<std::string, std::string>& labels = {});

// Lines of a text file (without the newlines); empty when the file does not exist.
std::vector<std::string> read_lines(const std::string& path);

// Waits for `predicate` with a bounded budget, re-checking every millisecond. For states the
// code under test exposes no notification for (e.g. a bus queue depth).
bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = 5s);

}  // namespace vigia::alerting::test
