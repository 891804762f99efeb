// Captures what one logger writes while in scope, so tests can assert that a problem was
// reported (and how). Attach before any thread logs and detach after they stopped: spdlog's sink
// list is not meant to change under a logging thread.
#pragma once

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>

#include "vigia/core/log.h"

namespace vigia::test {

class LogCapture {
 public:
  explicit LogCapture(std::string logger = "connectors")
      : logger_(std::move(logger)), sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    sink_->set_pattern("%l %v");
    vigia::log::get(logger_)->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = vigia::log::get(logger_)->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() {
    sink_->flush();
    return out_.str();
  }

 private:
  std::string logger_;
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

}  // namespace vigia::test
