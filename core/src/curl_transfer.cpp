#include "curl_transfer.h"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace vigia::detail {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlTransfer::CurlTransfer(HttpRequest request) : request_(std::move(request)) {
  for (const auto& [name, value] : request_.headers) headers_ = curl_slist_append(headers_, (name + ": " + value).c_str());
  // Without this libcurl waits up to a second for "100 Continue" before sending larger bodies.
  if (!request_.body.empty()) headers_ = curl_slist_append(headers_, "Expect:");
}

CurlTransfer::~CurlTransfer() { curl_slist_free_all(headers_); }

std::size_t CurlTransfer::on_body(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  const std::size_t n = size * nmemb;
  // libcurl hands us decoded bytes, so this caps what a gzip bomb inflates to, and it acts
  // whether or not the server announced a length (CURLOPT_MAXFILESIZE only trusts the header).
  if (t->response_.body.size() + n > t->request_.max_body_bytes) {
    t->too_large_ = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  t->response_.body.append(data, n);
  return n;
}

std::size_t CurlTransfer::on_header(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  const std::size_t n = size * nmemb;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->response_.headers.clear();  // a new response in a redirect chain
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  t->response_.headers.emplace_back(std::move(name), std::string(value));
  return n;
}

curl_socket_t CurlTransfer::on_open_socket(void* user, curlsocktype purpose, struct curl_sockaddr* address) {
  auto* t = static_cast<CurlTransfer*>(user);
  // Checked on the address actually connected to: DNS rebinding and redirects cannot get past.
  if (purpose == CURLSOCKTYPE_IPCXN && !t->request_.allow_private_addresses &&
      is_internal_address(&address->addr, address->addrlen)) {
    t->blocked_ = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

int CurlTransfer::on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<CurlTransfer*>(user);
  if (t->request_.stop.stop_requested()) {
    t->cancelled_ = true;
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

void CurlTransfer::setup(CURL* h) {
  curl_easy_reset(h);
  const HttpRequest& req = request_;
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_PRIVATE, this);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req.max_redirects > 0 ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, req.max_redirects);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_body_bytes));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &CurlTransfer::on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &CurlTransfer::on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &CurlTransfer::on_open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, this);
  if (req.stop.stop_possible()) {
    // libcurl calls this about once a second while idle, more often while data flows.
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &CurlTransfer::on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (headers_) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers_);
  if (!req.user_agent.empty()) curl_easy_setopt(h, CURLOPT_USERAGENT, req.user_agent.c_str());
  if (!req.proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, req.proxy.c_str());
  if (req.method == "POST" || req.method == "PUT") {
    if (req.method == "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
}

Result<HttpResponse> CurlTransfer::finish(CURL* h, CURLcode code) {
  if (code != CURLE_OK) return classify(code);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response_.status);
  char* effective = nullptr;
  curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective) response_.effective_url = effective;
  return std::move(response_);
}

Error CurlTransfer::classify(CURLcode code) const {
  const std::string& url = request_.url;
  const std::string where = " (" + redact_url(url) + ")";
  if (blocked_) return make_error("blocked_address", "refused to connect to an internal address" + where);
  if (cancelled_) return make_error("cancelled", "request cancelled by shutdown" + where);
  if (too_large_) return make_error("too_large", "body exceeds " + std::to_string(request_.max_body_bytes) + " bytes" + where);
  // libcurl's error buffer says more than curl_easy_strerror (which host, which step) and
  // repeats its gist, so use one or the other, not both.
  std::string msg = error_buffer_[0] ? std::string(error_buffer_) : std::string(curl_easy_strerror(code));
  msg += where;
  // libcurl's own detail text may quote the URL; never let a token through that way.
  if (const auto pos = msg.find(url); !url.empty() && pos != std::string::npos) msg.replace(pos, url.size(), redact_url(url));
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return make_error("timeout", msg);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return make_error("dns", msg);
    case CURLE_COULDNT_CONNECT: return make_error("connect", msg);
    case CURLE_TOO_MANY_REDIRECTS: return make_error("too_many_redirects", msg);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE: return make_error("tls", msg);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return make_error("protocol", msg);
    default: return make_error("transport", msg);
  }
}

}  // namespace vigia::detail
