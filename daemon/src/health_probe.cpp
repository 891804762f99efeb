#include "health_probe.h"

#include <curl/curl.h>

#include <memory>

namespace vigia::daemon {

Result<std::string> health_url(const std::string& listen, int port) {
  if (listen.empty()) return make_error("config", "http.listen is \"\": the admin endpoints are disabled");
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return make_error("config", "http.listen must be host:port, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  const std::string port_text = port > 0 ? std::to_string(port) : listen.substr(colon + 1);
  if (port_text.empty() || port_text.find_first_not_of("0123456789") != std::string::npos || port_text == "0") {
    return make_error("config", "http.listen has no fixed port to probe: '" + listen + "'");
  }
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  // A server bound to every address answers on loopback; the wildcard itself is not connectable.
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + port_text + "/healthz";
}

Status probe_health(const std::string& url, std::chrono::milliseconds timeout) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return make_error("curl", "cannot create a libcurl handle");
  char error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  // An http_proxy in the environment (common in containers) must not turn a loopback probe into
  // a request to the proxy.
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  // The watchdog probes from a process with many threads: no SIGALRM-based resolver timeouts.
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "vigia-health");
  // The body ("ok") says nothing the status does not; discard it instead of printing it.
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  if (const CURLcode rc = curl_easy_perform(h); rc != CURLE_OK) {
    return make_error(rc == CURLE_OPERATION_TIMEDOUT ? "timeout" : "connect",
                      "GET " + url + ": " + (error[0] ? std::string(error) : curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) return make_error("http_status", "GET " + url + ": HTTP " + std::to_string(status));
  return ok_status();
}

}  // namespace vigia::daemon
