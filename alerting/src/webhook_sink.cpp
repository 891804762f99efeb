#include "webhook_sink.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "chat_receiver.h"
#include "retry.h"
#include "secret.h"
#include "vigia/core/codec.h"
#include "vigia/core/log.h"
#include "webhook_signature.h"

namespace vigia::alerting {
namespace {

// A receiver's reply body only feeds the log line; a few hundred bytes say what went wrong.
constexpr std::size_t kMaxResponseBytes = 64 * 1024;
constexpr std::size_t kMaxBodyInMessage = 200;

const std::vector<std::string> kReservedHeaders{"content-type", "content-length",    "host",
                                                "webhook-id",   "webhook-timestamp", "webhook-signature"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool is_token(std::string_view name) {
  static constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kTokenPunct.find(c) != std::string_view::npos;
  });
}

// A short, single-line excerpt of a receiver's reply for the log.
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, kMaxBodyInMessage)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  if (body.size() > kMaxBodyInMessage) out += "...";
  return out;
}

class WebhookSink final : public Sink {
 public:
  WebhookSink(std::string name, std::string url, std::chrono::milliseconds timeout, bool allow_private,
              HttpHeaders extra_headers, std::optional<std::string> signing_key, HttpClientPtr http, ClockPtr clock)
      : name_(std::move(name)),
        url_(std::move(url)),
        where_(redact_url(url_)),
        timeout_(timeout),
        allow_private_(allow_private),
        extra_headers_(std::move(extra_headers)),
        signing_key_(std::move(signing_key)),
        http_(std::move(http)),
        clock_(std::move(clock)) {}

  DeliveryResult deliver(const Alert& alert) override {
    HttpRequest req;
    req.method = "POST";
    req.url = url_;
    req.body = encode_alert(alert);
    const auto now = clock_->now();
    const auto unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::string id = webhook_message_id(alert);
    const std::string timestamp = std::to_string(unix_seconds);
    req.headers = {{"Content-Type", "application/json"}, {"webhook-id", id}, {"webhook-timestamp", timestamp}};
    if (signing_key_) {
      req.headers.emplace_back("webhook-signature",
                               standard_webhooks_signature(*signing_key_, id, timestamp, req.body));
    }
    req.headers.insert(req.headers.end(), extra_headers_.begin(), extra_headers_.end());
    req.connect_timeout = timeout_;
    req.total_timeout = timeout_;
    req.max_body_bytes = kMaxResponseBytes;
    // A redirect on a POST is a misconfigured URL, not something to follow: it would resend
    // the alert to a host the operator never named.
    req.max_redirects = 0;
    req.user_agent = "vigia";
    req.allow_private_addresses = allow_private_;

    auto response = http_->perform(req);
    if (!response.ok()) {
      DeliveryResult r;
      r.outcome = classify_transport_error(response.error().reason);
      r.reason = response.error().reason;
      r.message = response.error().message;  // the client only ever names scheme and host
      return r;
    }
    DeliveryResult r = classify_response(*response, clock_->now(), where_);
    if (r.outcome == Delivery::kDelivered) {
      log::get("alerting")
          ->debug("sink {}: alert {} delivered to {} (HTTP {})", name_, alert.id, where_, response->status);
    }
    return r;
  }

 private:
  std::string name_;
  std::string url_;
  std::string where_;
  std::chrono::milliseconds timeout_;
  bool allow_private_;
  HttpHeaders extra_headers_;
  std::optional<std::string> signing_key_;  // the HMAC key; never logged
  HttpClientPtr http_;
  ClockPtr clock_;
};

SinkPtr create_webhook(const SinkSpec& spec, const SinkServices& services) {
  const auto& s = spec.settings;
  // The same url / url_env / url_file, timeout and allow_private as every chat receiver: a URL
  // that carries its token can come from a Kubernetes Secret or a credentials file.
  ReceiverTarget target = read_receiver_target(spec);
  const std::string prefix = "sink '" + spec.name + "': ";

  HttpHeaders extra;
  if (s.has("headers")) {
    for (const auto& line : s.strings("headers")) {
      const auto colon = line.find(':');
      // Header values may be credentials: messages name the header, never its value.
      std::string name = colon == std::string::npos ? line : line.substr(0, colon);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (colon == std::string::npos || !is_token(name)) {
        throw std::invalid_argument(prefix + "headers entries must look like 'Name: value'");
      }
      if (std::find(kReservedHeaders.begin(), kReservedHeaders.end(), lower(name)) != kReservedHeaders.end()) {
        throw std::invalid_argument(prefix + "header '" + name + "' is set by the sink itself");
      }
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(value.begin());
      if (value.find_first_of("\r\n") != std::string::npos) {
        throw std::invalid_argument(prefix + "header '" + name + "' has a line break in its value");
      }
      extra.emplace_back(std::move(name), std::move(value));
    }
  }
  std::optional<std::string> key;
  if (const auto secret = read_secret(s, spec.name, "", "secret_env", "secret_file")) {
    key = webhook_signing_key(*secret);
    if (!key) throw std::invalid_argument(prefix + "a whsec_ secret must be followed by non-empty base64");
  }
  HttpClientPtr http = services.http ? services.http : make_curl_http_client();
  ClockPtr clock = services.clock ? services.clock : system_clock();
  log::get("alerting")->info("sink {}: webhook to {}{}", spec.name, target.where, key ? " (signed)" : "");
  return std::make_unique<WebhookSink>(spec.name, std::move(target.url), target.timeout, target.allow_private,
                                       std::move(extra), std::move(key), std::move(http), std::move(clock));
}

}  // namespace

DeliveryResult classify_response(const HttpResponse& response, Timestamp now, std::string_view where) {
  DeliveryResult r;
  const long status = response.status;
  if (status >= 200 && status < 300) return r;
  std::string message = "HTTP " + std::to_string(status) + " from " + std::string(where);
  if (!response.body.empty()) message += ": " + excerpt(response.body);
  r.message = std::move(message);
  if (status == 408 || status == 429 || (status >= 500 && status < 600)) {
    r.outcome = Delivery::kRetry;
    r.reason = status >= 500 ? "http_5xx" : "http_" + std::to_string(status);
    if (const auto value = response.header("retry-after"); !value.empty()) {
      r.retry_after = parse_retry_after(value, now);
    }
    return r;
  }
  r.outcome = Delivery::kReject;
  if (status >= 300 && status < 400) {
    r.reason = "http_3xx";
  } else if (status >= 400 && status < 500) {
    r.reason = "http_4xx";
  } else {
    r.reason = "http_status";
  }
  return r;
}

std::string webhook_message_id(const Alert& alert) {
  if (alert.sequence <= 1) return alert.id;
  return alert.id + "-" + std::to_string(alert.sequence);
}

Delivery classify_transport_error(std::string_view reason) {
  if (reason == "blocked_address" || reason == "protocol" || reason == "too_many_redirects") return Delivery::kReject;
  return Delivery::kRetry;
}

SinkKind webhook_sink_kind() {
  // Every receiver's target keys, plus the webhook's own headers and signing secret.
  ConfigSchema keys = receiver_target_keys();
  keys.insert(keys.end(),
              {
                  {"headers", ConfigType::kStrings, false, "", "extra static request headers, each 'Name: value'"},
                  {"secret_env", ConfigType::kString, false, "",
                   "environment variable holding the Standard Webhooks signing secret (whsec_<base64> or raw)"},
                  {"secret_file", ConfigType::kPath, false, "",
                   "file holding the Standard Webhooks signing secret (whsec_<base64> or raw); not with secret_env"},
              });
  return SinkKind{
      "webhook",
      "POSTs each alert as JSON (the Alert contract) with Standard Webhooks headers",
      std::move(keys),
      &create_webhook,
  };
}

}  // namespace vigia::alerting
