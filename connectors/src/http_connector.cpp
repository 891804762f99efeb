#include "http_connector.h"

#include <limits>
#include <string>

#include "vigia/connectors/feed_date.h"
#include "vigia/connectors/feed_parser.h"
#include "vigia/core/log.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

using namespace std::chrono_literals;
using detail::lower_ascii;
using detail::trim;

constexpr std::string_view kAccept =
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5";

// Retry-After: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  bool digits = true;
  for (char c : value) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (value.size() > 9) return std::chrono::hours(24 * 365);  // absurd; the scheduler caps it
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  const auto when = parse_rfc822_date(value);
  if (!when || *when <= now) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
}

// "application/rss+xml; charset=ISO-8859-1" -> "ISO-8859-1".
std::string charset_of(std::string_view content_type) {
  const std::string lower = lower_ascii(content_type);
  const std::size_t at = lower.find("charset=");
  if (at == std::string::npos) return {};
  std::string_view v = content_type.substr(at + 8);
  v = trim(v.substr(0, v.find(';')));
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return std::string(v);
}

class HttpConnector final : public Connector {
 public:
  HttpConnector(const FeedSpec& feed, const ConnectorServices& services)
      : name_(feed.name),
        http_(services.http ? services.http : make_curl_http_client()),
        clock_(services.clock ? services.clock : system_clock()),
        url_(trim(feed.settings.string("url"))),
        allow_private_(feed.settings.boolean("allow_private")),
        timeout_(feed.settings.duration("timeout")),
        max_bytes_(feed.settings.integer("max_bytes")),
        user_agent_(feed.settings.string("user_agent")),
        proxy_(feed.settings.string("proxy")) {}

  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    retry_after_.reset();
    if (auto bad = check_settings()) return *bad;
    if (stop.stop_requested()) return make_error("cancelled", where() + "poll cancelled");

    HttpRequest req;
    req.url = url_;
    req.total_timeout = timeout_;
    req.connect_timeout = std::min<std::chrono::milliseconds>(timeout_, 10s);
    req.max_body_bytes = static_cast<std::size_t>(max_bytes_);
    req.user_agent = user_agent_.empty() ? std::string(kDefaultUserAgent) : user_agent_;
    req.proxy = proxy_;
    req.allow_private_addresses = allow_private_;
    req.stop = stop;  // shutdown does not wait out a slow server
    req.headers.emplace_back("Accept", std::string(kAccept));
    if (!etag_.empty()) req.headers.emplace_back("If-None-Match", etag_);
    if (!last_modified_.empty()) req.headers.emplace_back("If-Modified-Since", last_modified_);

    auto res = http_->perform(req);
    if (!res) return make_error(res.error().reason, where() + res.error().message);
    const Timestamp now = clock_->now();
    retry_after_ = parse_retry_after(res->header("retry-after"), now);

    PollReport report;
    report.retry_after = retry_after_;
    const long status = res->status;
    if (status == 304) {
      remember_validators(*res);
      report.not_modified = true;
      return report;
    }
    if (status < 200 || status > 299) {
      std::string msg = where() + "HTTP " + std::to_string(status) + " from " + redact_url(url_);
      if (retry_after_ && (status == 429 || status == 503)) {
        msg += " (Retry-After " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*retry_after_).count()) + "s)";
      }
      return make_error("http_status", std::move(msg));
    }

    FeedContext ctx;
    ctx.source = name_;
    ctx.connector = "http";
    ctx.base_url = res->effective_url.empty() ? url_ : res->effective_url;
    ctx.charset_hint = charset_of(res->header("content-type"));
    ctx.fetched = now;
    auto parsed = parse_feed(res->body, ctx);
    if (!parsed) return make_error("parse", where() + redact_url(url_) + ": " + parsed.error().message);
    if (!parsed->well_formed) {
      log::get("connectors")->debug("feed '{}': {} is broken XML, recovered: {}", name_, redact_url(url_), parsed->problem);
    }
    for (auto& item : parsed->items) {
      if (stop.stop_requested()) return make_error("cancelled", where() + "poll cancelled");
      if (auto st = out.write(std::move(item)); !st) return st.error();
      ++report.items;
    }
    report.skipped = parsed->skipped;
    remember_validators(*res);
    return report;
  }

  std::optional<std::chrono::milliseconds> retry_after() const override { return retry_after_; }

 private:
  std::string where() const { return "feed '" + name_ + "': "; }

  std::optional<Error> check_settings() const {
    const std::string scheme = lower_ascii(url_.substr(0, url_.find(':')));
    if (url_.find("://") == std::string::npos || (scheme != "http" && scheme != "https")) {
      return make_error("config", where() + "url " + redact_url(url_) + " is not an http or https URL");
    }
    if (timeout_ <= std::chrono::milliseconds::zero()) return make_error("config", where() + "timeout must be positive");
    if (max_bytes_ <= 0) return make_error("config", where() + "max_bytes must be positive");
    return std::nullopt;
  }

  void remember_validators(const HttpResponse& res) {
    if (auto etag = res.header("etag"); !etag.empty()) etag_ = etag;
    if (auto lm = res.header("last-modified"); !lm.empty()) last_modified_ = lm;
  }

  const std::string name_;
  const HttpClientPtr http_;
  const ClockPtr clock_;
  const std::string url_;
  const bool allow_private_;
  const std::chrono::milliseconds timeout_;
  const long long max_bytes_;
  const std::string user_agent_;
  const std::string proxy_;
  std::string etag_;
  std::string last_modified_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

ConnectorPtr create(const FeedSpec& feed, const ConnectorServices& services) {
  return std::make_unique<HttpConnector>(feed, services);
}

}  // namespace

ConnectorKind http_connector_kind() {
  return ConnectorKind{
      "http",
      "An RSS, RDF or Atom feed fetched over HTTP(S), with conditional GET.",
      {
          {"url", ConfigType::kString, true, "", "the feed's http or https URL"},
          {"allow_private", ConfigType::kBool, false, "false",
           "allow loopback, private and link-local addresses (feeds inside your own network)"},
          {"timeout", ConfigType::kDuration, false, "30s", "total time allowed for one fetch"},
          {"max_bytes", ConfigType::kInteger, false, "8388608", "largest body accepted, counted after decompression"},
          {"user_agent", ConfigType::kString, false, std::string(kDefaultUserAgent), "User-Agent header sent"},
          {"proxy", ConfigType::kString, false, "", "proxy URL, e.g. socks5h://127.0.0.1:9050; empty: none"},
      },
      &create,
  };
}

}  // namespace vigia::connectors
