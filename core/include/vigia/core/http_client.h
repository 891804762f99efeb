// HTTP on libcurl, with the caps DESIGN.md demands at the network edge: http/https only (also
// after redirects), at most `max_redirects`, connect and total timeouts, a body cap enforced on
// the decompressed bytes (bookworm's libcurl ignores CURLOPT_MAXFILESIZE without a
// Content-Length), and no connection to private, loopback or link-local addresses unless the
// request allows it — checked on the address actually connected to, so DNS tricks and redirects
// cannot reach the inside.
//
// Thread-safety: perform() may be called from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "vigia/core/result.h"

namespace vigia {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  std::size_t max_body_bytes = 8u << 20;
  long max_redirects = 5;
  std::string user_agent;
  std::string proxy;  // e.g. "socks5h://127.0.0.1:9050"; empty: none
  bool allow_private_addresses = false;
  std::stop_token stop;  // a stop request aborts the transfer with reason "cancelled"
};

struct HttpResponse {
  long status = 0;
  std::string body;
  HttpHeaders headers;  // names lower-cased, in arrival order (last response of a redirect chain)
  std::string effective_url;

  // The last value of header `name` (lower-case), or "".
  std::string header(std::string_view name) const;
};

// scheme://host[:port] of `url`, for messages: paths and queries often carry tokens (Slack and
// Teams webhook URLs, API keys), so errors and logs never show more than this.
std::string redact_url(std::string_view url);

// Transport failures are errors with reasons "timeout", "dns", "connect", "blocked_address",
// "too_large", "too_many_redirects", "tls", "protocol", "cancelled" or "transport"; their messages name the
// target only through redact_url(). An HTTP status, even
// 500, is a successful exchange: callers judge statuses.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> perform(const HttpRequest& request) = 0;
};
using HttpClientPtr = std::shared_ptr<HttpClient>;

// One blocking libcurl easy handle per calling thread: for low-volume callers (webhook sinks,
// one-shot commands).
HttpClientPtr make_curl_http_client();

// Many transfers on one libcurl multi event loop, for fetching hundreds of feeds politely: at
// most `max_connections` transfers at once and `max_per_host` per scheme://host:port, sharing
// connections and the DNS cache. Transfers over a limit wait in our own queue, not libcurl's, so
// a request's timeout only runs while it is actually in progress. perform() blocks the caller
// until its transfer completes; destroying the client cancels what is left ("cancelled").
struct HttpConcurrency {
  std::size_t max_connections = 16;
  std::size_t max_per_host = 2;
};
HttpClientPtr make_curl_multi_http_client(HttpConcurrency limits);

// True for loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified and multicast
// addresses, IPv4-mapped forms included. `addr` is a sockaddr_in or sockaddr_in6.
bool is_internal_address(const void* sockaddr, std::size_t len);

}  // namespace vigia
