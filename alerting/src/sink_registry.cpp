#include <stdexcept>

#include "console_sink.h"
#include "file_sink.h"
#include "vigia/alerting/sink.h"
#include "webhook_sink.h"

namespace vigia::alerting {

void SinkRegistry::add(SinkKind kind) {
  // Two kinds with one name would make config resolution depend on registration order.
  if (find(kind.name) != nullptr) throw std::invalid_argument("sink kind '" + kind.name + "' registered twice");
  kinds_.push_back(std::move(kind));
}

const SinkKind* SinkRegistry::find(std::string_view name) const {
  for (const auto& kind : kinds_) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

void register_builtin_sinks(SinkRegistry& registry) {
  registry.add(webhook_sink_kind());
  registry.add(console_sink_kind());
  registry.add(file_sink_kind());
}

}  // namespace vigia::alerting
