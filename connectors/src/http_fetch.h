// Private: the part of every HTTP-based connector kind (http, gdelt, json_api) that is about
// HTTP rather than about the source — one implementation of the keys they share, of request
// building, and of how an answer becomes a body or an Error, so the kinds cannot drift apart on
// politeness or safety.
//
// Shared keys (http_common_keys): allow_private, timeout, max_bytes, user_agent, proxy. Every
// request goes through the core HttpClient with those caps, this connector's stop token (a
// shutdown does not wait out a slow server) and the Accept header the kind asks for.
//
// Answers:
//   2xx                  the body, its charset (Content-Type) and the URL it finally came from
//   304                  not_modified (only asked for when validators are passed)
//   anything else        Error "http_status", the code in the message; for 429/503 with the wait
//                        the server asked for
//   transport failures   the HttpClient's reason ("timeout", "blocked_address", "too_large", ...)
// A Retry-After (delta-seconds or HTTP-date) on any answer is kept until the next request and
// read through retry_after(), which is what Connector::retry_after() reports.
//
// Messages start with "feed '<name>': " and show URLs only as redact_url() does (scheme and
// host): feed and API URLs can carry keys.
//
// Thread-safety: an HttpFetcher and HttpValidators belong to one connector, which is polled from
// one thread at a time; neither is safe for concurrent use. Neither throws.
#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "vigia/connectors/connector.h"

namespace vigia::connectors::detail {

inline constexpr std::string_view kDefaultUserAgent = "Vigia/0.1 (news monitor; set user_agent to add your contact)";

// The keys above, with their defaults (timeout 30s, max_bytes 8 MiB, the default User-Agent).
std::vector<ConfigKey> http_common_keys();

// `own` followed by http_common_keys(): a kind's whole schema.
ConfigSchema with_http_common_keys(ConfigSchema own);

// Retry-After: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), as a wait from `now`; nullopt
// when absent, unreadable or already past.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now);

// "application/json; charset=ISO-8859-1" -> "ISO-8859-1"; "" without a charset parameter.
std::string charset_of(std::string_view content_type);

// "Name: value" lines (the json_api `headers` key) to header pairs; nullopt naming the first
// line without a name and a colon in `bad`.
std::optional<HttpHeaders> parse_header_lines(const std::vector<std::string>& lines, std::string& bad);

// `text` percent-encoded for a URL query component (RFC 3986: unreserved characters stay).
std::string url_encode(std::string_view text);

// The ETag and Last-Modified of one feed's last complete fetch. With a FeedState they are written
// through to it (keys "http.etag" and "http.last_modified") and read from it before the first
// request, so they survive a restart and a new connector instance for the same feed picks them
// up; without one they live in memory.
class HttpValidators {
 public:
  HttpValidators(std::string feed, FeedStatePtr state);

  // If-None-Match / If-Modified-Since for what is held.
  void add_to(HttpHeaders& headers);
  // After a complete 200: the answer's validators replace the old ones; one it no longer sends
  // is forgotten (sending a stale validator could pin a 304 forever).
  void store(const std::string& etag, const std::string& last_modified);
  // After a 304: the validators it carries refresh ours; absent ones are kept (RFC 9110 §15.4.5).
  void refresh(const std::string& etag, const std::string& last_modified);
  // The FeedState was replaced from outside: read it again before the next request (without a
  // FeedState, memory is all there is and stays).
  void reload() {
    if (state_) loaded_ = false;
  }

 private:
  void load();
  void put(std::string_view key, std::string& slot, const std::string& value);

  const std::string feed_;
  const FeedStatePtr state_;
  bool loaded_ = false;
  std::string etag_;
  std::string last_modified_;
};

struct HttpFetchResult {
  bool not_modified = false;
  std::string body;      // empty for a 304
  std::string base_url;  // where the body came from, after redirects (for relative links)
  std::string charset;   // from Content-Type; "" when not given
  std::string etag;      // the answer's validators, for HttpValidators::store once the body is used
  std::string last_modified;
  Timestamp fetched;  // the services' clock when the answer arrived
};

class HttpFetcher {
 public:
  // Reads the shared keys from `feed.settings`; null services fall back to the libcurl client
  // and the system clock.
  HttpFetcher(const FeedSpec& feed, const ConnectorServices& services);

  // nullopt when the shared settings are usable and `url` (the value of key `key`) is an http or
  // https URL; else an Error "config".
  std::optional<Error> check(std::string_view url, std::string_view key = "url") const;

  // One GET. `validators` (may be null) makes it conditional; a 304 refreshes them, a 200 leaves
  // them to the caller (store them once the body was used completely, so a broken or interrupted
  // fetch is repeated in full). `accept` is the Accept header; `extra` more headers.
  Result<HttpFetchResult> get(const std::string& url, std::string_view accept, const HttpHeaders& extra,
                              HttpValidators* validators, const std::stop_token& stop);

  // The wait the last answer asked for (Retry-After), cleared by the next get().
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  void clear_retry_after() { retry_after_.reset(); }

  // "feed '<name>': ", the prefix of every message.
  std::string where() const { return "feed '" + name_ + "': "; }
  const std::string& feed_name() const { return name_; }
  const ClockPtr& clock() const { return clock_; }

 private:
  const std::string name_;
  const HttpClientPtr http_;
  const ClockPtr clock_;
  const bool allow_private_;
  const std::chrono::milliseconds timeout_;
  const long long max_bytes_;
  const std::string user_agent_;
  const std::string proxy_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

}  // namespace vigia::connectors::detail
