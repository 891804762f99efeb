#include "http_fetch.h"

#include <algorithm>
#include <utility>

#include "vigia/connectors/feed_date.h"
#include "xml_node.h"

namespace vigia::connectors::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kEtagKey = "http.etag";
constexpr std::string_view kLastModifiedKey = "http.last_modified";

}  // namespace

std::vector<ConfigKey> http_common_keys() {
  return {
      {"allow_private", ConfigType::kBool, false, "false",
       "allow loopback, private and link-local addresses (sources inside your own network)"},
      {"timeout", ConfigType::kDuration, false, "30s", "total time allowed for one request"},
      {"max_bytes", ConfigType::kInteger, false, "8388608", "largest body accepted, counted after decompression"},
      {"user_agent", ConfigType::kString, false, std::string(kDefaultUserAgent), "User-Agent header sent"},
      {"proxy", ConfigType::kString, false, "", "proxy URL, e.g. socks5h://127.0.0.1:9050 for Tor; empty: none"},
  };
}

ConfigSchema with_http_common_keys(ConfigSchema own) {
  for (auto& key : http_common_keys()) own.push_back(std::move(key));
  return own;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  const bool digits = std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    if (value.size() > 9) return std::chrono::hours(24 * 365);  // absurd; the scheduler caps it
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  const auto when = parse_rfc822_date(value);
  if (!when || *when <= now) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
}

std::string charset_of(std::string_view content_type) {
  // Parameters are "name = value" with optional blanks around '=' (RFC 9110 §5.6.6 allows none,
  // but servers send them and feedparser's corpus has them).
  const std::string lower = lower_ascii(content_type);
  std::size_t at = lower.find("charset");
  while (at != std::string::npos) {
    std::size_t eq = at + 7;
    while (eq < lower.size() && (lower[eq] == ' ' || lower[eq] == '\t')) ++eq;
    if (eq < lower.size() && lower[eq] == '=') {
      at = eq + 1;
      break;
    }
    at = lower.find("charset", at + 7);
  }
  if (at == std::string::npos) return {};
  std::string_view v = content_type.substr(at);
  v = trim(v.substr(0, v.find(';')));
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return std::string(v);
}

std::optional<HttpHeaders> parse_header_lines(const std::vector<std::string>& lines, std::string& bad) {
  HttpHeaders out;
  for (const auto& line : lines) {
    const std::size_t colon = line.find(':');
    const std::string_view name =
        colon == std::string::npos ? std::string_view{} : trim(std::string_view(line).substr(0, colon));
    // A header name is an RFC 9110 token: no blanks, no control characters.
    const bool token = !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
      return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F;
    });
    if (!token) {
      bad = line;
      return std::nullopt;
    }
    out.emplace_back(std::string(name), std::string(trim(std::string_view(line).substr(colon + 1))));
  }
  return out;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

HttpValidators::HttpValidators(std::string feed, FeedStatePtr state)
    : feed_(std::move(feed)), state_(std::move(state)) {}

void HttpValidators::load() {
  if (loaded_ || !state_) return;
  loaded_ = true;
  etag_ = state_->get(feed_, kEtagKey).value_or("");
  last_modified_ = state_->get(feed_, kLastModifiedKey).value_or("");
}

void HttpValidators::add_to(HttpHeaders& headers) {
  load();
  if (!etag_.empty()) headers.emplace_back("If-None-Match", etag_);
  if (!last_modified_.empty()) headers.emplace_back("If-Modified-Since", last_modified_);
}

void HttpValidators::put(std::string_view key, std::string& slot, const std::string& value) {
  loaded_ = true;  // from now on memory is authoritative; the state only mirrors it
  slot = value;
  if (!state_) return;
  if (value.empty()) {
    state_->erase(feed_, key);
  } else {
    state_->put(feed_, key, value);
  }
}

void HttpValidators::store(const std::string& etag, const std::string& last_modified) {
  put(kEtagKey, etag_, etag);
  put(kLastModifiedKey, last_modified_, last_modified);
}

void HttpValidators::refresh(const std::string& etag, const std::string& last_modified) {
  if (!etag.empty()) put(kEtagKey, etag_, etag);
  if (!last_modified.empty()) put(kLastModifiedKey, last_modified_, last_modified);
}

HttpFetcher::HttpFetcher(const FeedSpec& feed, const ConnectorServices& services)
    : name_(feed.name),
      http_(services.http ? services.http : make_curl_http_client()),
      clock_(services.clock ? services.clock : system_clock()),
      allow_private_(feed.settings.boolean("allow_private")),
      timeout_(feed.settings.duration("timeout")),
      max_bytes_(feed.settings.integer("max_bytes")),
      user_agent_(feed.settings.string("user_agent")),
      proxy_(feed.settings.string("proxy")) {}

std::optional<Error> HttpFetcher::check(std::string_view url, std::string_view key) const {
  const std::string scheme = lower_ascii(url.substr(0, url.find(':')));
  if (url.find("://") == std::string_view::npos || (scheme != "http" && scheme != "https")) {
    return make_error("config", where() + std::string(key) + " " + redact_url(url) + " is not an http or https URL");
  }
  if (timeout_ <= std::chrono::milliseconds::zero()) return make_error("config", where() + "timeout must be positive");
  if (max_bytes_ <= 0) return make_error("config", where() + "max_bytes must be positive");
  return std::nullopt;
}

Result<HttpFetchResult> HttpFetcher::get(const std::string& url, std::string_view accept, const HttpHeaders& extra,
                                         HttpValidators* validators, const std::stop_token& stop) {
  retry_after_.reset();
  HttpRequest req;
  req.url = url;
  req.total_timeout = timeout_;
  req.connect_timeout = std::min<std::chrono::milliseconds>(timeout_, 10s);
  req.max_body_bytes = static_cast<std::size_t>(max_bytes_);
  req.user_agent = user_agent_.empty() ? std::string(kDefaultUserAgent) : user_agent_;
  req.proxy = proxy_;
  req.allow_private_addresses = allow_private_;
  req.stop = stop;
  if (!accept.empty()) req.headers.emplace_back("Accept", std::string(accept));
  for (const auto& h : extra) req.headers.push_back(h);
  if (validators != nullptr) validators->add_to(req.headers);

  auto res = http_->perform(req);
  if (!res) return make_error(res.error().reason, where() + res.error().message);
  HttpFetchResult out;
  out.fetched = clock_->now();
  retry_after_ = parse_retry_after(res->header("retry-after"), out.fetched);
  out.etag = res->header("etag");
  out.last_modified = res->header("last-modified");

  const long status = res->status;
  if (status == 304 && validators != nullptr) {
    validators->refresh(out.etag, out.last_modified);
    out.not_modified = true;
    return out;
  }
  if (status < 200 || status > 299) {
    std::string msg = where() + "HTTP " + std::to_string(status) + " from " + redact_url(url);
    if (retry_after_ && (status == 429 || status == 503)) {
      msg += " (Retry-After " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*retry_after_).count()) + "s)";
    }
    return make_error("http_status", std::move(msg));
  }
  out.base_url = res->effective_url.empty() ? url : res->effective_url;
  out.charset = charset_of(res->header("content-type"));
  out.body = std::move(res->body);
  return out;
}

}  // namespace vigia::connectors::detail
