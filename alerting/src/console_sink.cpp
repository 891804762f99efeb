#include "console_sink.h"

#include <iostream>
#include <mutex>

#include "alert_text.h"

namespace vigia::alerting {
namespace {

// Two console sinks (say, one per severity route) share stdout; a whole block goes out at once.
std::mutex& console_mutex() {
  static std::mutex mu;
  return mu;
}

class ConsoleSink final : public Sink {
 public:
  explicit ConsoleSink(std::ostream& out) : out_(out) {}

  DeliveryResult deliver(const Alert& alert) override {
    const std::string block = render_alert_text(alert);
    std::lock_guard lock(console_mutex());
    out_.write(block.data(), static_cast<std::streamsize>(block.size()));
    out_.flush();
    if (!out_) {
      out_.clear();  // let the next attempt try again (a pipe reader may come back)
      return DeliveryResult{Delivery::kRetry, "io", "cannot write to the console", std::nullopt};
    }
    return {};
  }

 private:
  std::ostream& out_;
};

SinkPtr create_console(const SinkSpec&, const SinkServices& services) {
  return std::make_unique<ConsoleSink>(services.console != nullptr ? *services.console : std::cout);
}

}  // namespace

SinkKind console_sink_kind() {
  return SinkKind{"console", "prints a readable block per alert to standard output", ConfigSchema{}, &create_console};
}

}  // namespace vigia::alerting
