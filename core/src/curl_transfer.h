// Private to core: one HTTP exchange on a libcurl easy handle, set up with every cap and check
// http_client.h promises, shared by the plain client (one blocking handle per thread) and the
// multi client (one event loop for many transfers).
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

#include "vigia/core/http_client.h"

namespace vigia::detail {

void ensure_curl_initialised();

class CurlTransfer {
 public:
  explicit CurlTransfer(HttpRequest request);
  ~CurlTransfer();
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  // Configures `handle` (reset first) for this transfer. The transfer must outlive its use.
  void setup(CURL* handle);
  // The outcome once libcurl finished with `code`.
  Result<HttpResponse> finish(CURL* handle, CURLcode code);

  const HttpRequest& request() const { return request_; }

 private:
  static std::size_t on_body(char* data, std::size_t size, std::size_t nmemb, void* user);
  static std::size_t on_header(char* data, std::size_t size, std::size_t nmemb, void* user);
  static curl_socket_t on_open_socket(void* user, curlsocktype purpose, struct curl_sockaddr* address);
  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
  Error classify(CURLcode code) const;

  HttpRequest request_;
  HttpResponse response_;
  curl_slist* headers_ = nullptr;
  char error_buffer_[CURL_ERROR_SIZE] = {0};
  bool too_large_ = false;
  bool blocked_ = false;
  bool cancelled_ = false;
};

}  // namespace vigia::detail
