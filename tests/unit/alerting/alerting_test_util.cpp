#include "alerting_test_util.h"

#include <algorithm>
#include <fstream>

namespace vigia::alerting::test {

SinkSpec make_spec(const std::string& name, const std::string& type, RetryPolicy retry) {
  SinkRegistry registry;
  register_builtin_sinks(registry);
  SinkSpec spec;
  spec.name = name;
  spec.type = type;
  spec.retry = retry;
  if (const SinkKind* kind = registry.find(type)) spec.settings = defaults_of(kind->schema);
  return spec;
}

SinkPtr create_sink(const SinkSpec& spec, const SinkServices& services) {
  SinkRegistry registry;
  register_builtin_sinks(registry);
  const SinkKind* kind = registry.find(spec.type);
  if (kind == nullptr) throw std::invalid_argument("no sink kind " + spec.type);
  return kind->create(spec, services);
}

SinkSpec webhook_spec(const std::string& name, const std::string& url, RetryPolicy retry) {
  SinkSpec spec = make_spec(name, "webhook", retry);
  spec.settings.set("url", url);
  spec.settings.set("allow_private", true);  // the receiver is on loopback
  spec.settings.set("timeout", std::chrono::milliseconds{3000});
  return spec;
}

int ScriptedSink::State::wait_calls(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu);
  changed.wait_for(lock, timeout, [&] { return calls >= n; });
  return calls;
}

DeliveryResult ScriptedSink::deliver(const Alert& alert) {
  int call = 0;
  {
    std::lock_guard lock(state_->mu);
    state_->alerts.push_back(alert);
    call = ++state_->calls;
  }
  state_->changed.notify_all();
  return script_(alert, call);
}

double metric_value(const std::string& exposition, const std::string& name,
                    const std::map<std::string, std::string>& labels) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const std::string sample_name = line.substr(0, std::min(brace, space));
    if (sample_name != name) continue;
    const std::string label_text = brace == std::string::npos ? "" : line.substr(brace, line.find('}') - brace + 1);
    std::size_t found = 0;
    for (const auto& [k, v] : labels) {
      if (label_text.find(k + "=\"" + v + "\"") != std::string::npos) ++found;
    }
    if (found != labels.size()) continue;
    // Exact label set: as many label pairs in the sample as asked for.
    const auto pairs = static_cast<std::size_t>(std::count(label_text.begin(), label_text.end(), '='));
    if (pairs != labels.size()) continue;
    return std::stod(line.substr(space + 1));
  }
  return -1;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace vigia::alerting::test
