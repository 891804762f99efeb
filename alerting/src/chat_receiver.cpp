#include "chat_receiver.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "secret.h"
#include "vigia/core/log.h"
#include "webhook_sink.h"

namespace vigia::alerting {
namespace {

constexpr std::size_t kMaxResponseBytes = 64 * 1024;

}  // namespace

ConfigSchema receiver_target_keys() {
  return {
      {"url", ConfigType::kString, false, "",
       "receiver URL (http or https); a secret, never logged. Exactly one of url, url_env, url_file"},
      {"url_env", ConfigType::kString, false, "", "environment variable holding the receiver URL"},
      {"url_file", ConfigType::kPath, false, "", "file holding the receiver URL"},
      {"timeout", ConfigType::kDuration, false, "10s", "connect and total time allowed per attempt"},
      {"allow_private", ConfigType::kBool, false, "false",
       "allow loopback, private and link-local receivers (refused by default)"},
  };
}

ReceiverTarget read_receiver_target(const SinkSpec& spec) {
  const std::string prefix = "sink '" + spec.name + "': ";
  auto url = read_secret(spec.settings, spec.name, "url", "url_env", "url_file");
  if (!url) throw std::invalid_argument(prefix + "set one of url, url_env, url_file");
  const auto sep = url->find("://");
  std::string scheme = sep == std::string::npos ? "" : url->substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if ((scheme != "http" && scheme != "https") || redact_url(*url).size() <= scheme.size() + 3 ||
      url->find_first_of(" \r\n\t") != std::string::npos) {
    throw std::invalid_argument(prefix + "the receiver URL must be an http:// or https:// URL with a host");
  }
  ReceiverTarget t;
  t.url = std::move(*url);
  t.where = redact_url(t.url);
  t.timeout = spec.settings.duration("timeout");
  if (t.timeout <= std::chrono::milliseconds{0}) throw std::invalid_argument(prefix + "timeout must be positive");
  t.allow_private = spec.settings.boolean("allow_private");
  return t;
}

JsonPostSink::JsonPostSink(std::string name, std::string kind, ReceiverTarget target, Render render,
                           const SinkServices& services)
    : name_(std::move(name)),
      kind_(std::move(kind)),
      target_(std::move(target)),
      render_(std::move(render)),
      http_(services.http ? services.http : make_curl_http_client()),
      clock_(services.clock ? services.clock : system_clock()) {
  log::get("alerting")->info("sink {}: {} receiver at {}", name_, kind_, target_.where);
}

DeliveryResult JsonPostSink::deliver(const Alert& alert) {
  HttpRequest req;
  req.method = "POST";
  req.url = target_.url;
  req.body = render_(alert);
  req.headers = {{"Content-Type", "application/json"}};
  req.connect_timeout = target_.timeout;
  req.total_timeout = target_.timeout;
  req.max_body_bytes = kMaxResponseBytes;
  // As for the generic webhook: a redirect on a POST would resend the alert somewhere unnamed.
  req.max_redirects = 0;
  req.user_agent = "vigia";
  req.allow_private_addresses = target_.allow_private;

  auto response = http_->perform(req);
  if (!response.ok()) {
    DeliveryResult r;
    r.outcome = classify_transport_error(response.error().reason);
    r.reason = response.error().reason;
    r.message = response.error().message;
    return r;
  }
  DeliveryResult r = classify_response(*response, clock_->now(), target_.where);
  if (r.outcome == Delivery::kDelivered) {
    log::get("alerting")
        ->debug("sink {}: alert {} delivered to {} {} (HTTP {})", name_, alert.id, kind_, target_.where,
                response->status);
  }
  return r;
}

}  // namespace vigia::alerting
