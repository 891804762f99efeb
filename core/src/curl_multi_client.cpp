#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "curl_transfer.h"
#include "vigia/core/check.h"
#include "vigia/core/http_client.h"

namespace vigia {
namespace {

class CurlMultiHttpClient final : public HttpClient {
 public:
  explicit CurlMultiHttpClient(HttpConcurrency limits)
      : max_total_(std::max<std::size_t>(limits.max_connections, 1)),
        max_per_host_(std::max<std::size_t>(limits.max_per_host, 1)) {
    detail::ensure_curl_initialised();
    multi_ = curl_multi_init();
    VIGIA_CHECK(multi_ != nullptr, "curl_multi_init failed");
    // Our admission control keeps libcurl's own queue empty; these are only a backstop (e.g. for
    // a redirect that lands on a busy host).
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(max_total_));
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(max_per_host_));
    loop_ = std::thread([this] { run(); });
  }

  ~CurlMultiHttpClient() override {
    stop_ = true;
    curl_multi_wakeup(multi_);
    loop_.join();
    for (auto& [easy, job] : active_) {
      curl_multi_remove_handle(multi_, easy);
      curl_easy_cleanup(easy);
      job->done.set_value(make_error("cancelled", "HTTP client shut down"));
    }
    for (auto& job : queued_) job->done.set_value(make_error("cancelled", "HTTP client shut down"));
    for (CURL* easy : idle_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
  }

  Result<HttpResponse> perform(const HttpRequest& request) override {
    auto job = std::make_shared<Job>(request);
    auto result = job->done.get_future();
    {
      std::lock_guard lock(mu_);
      if (stop_) return make_error("cancelled", "HTTP client shut down");
      queued_.push_back(job);
    }
    curl_multi_wakeup(multi_);
    return result.get();
  }

 private:
  struct Job {
    explicit Job(const HttpRequest& request) : transfer(request), host(redact_url(request.url)) {}
    detail::CurlTransfer transfer;
    std::string host;  // scheme://host:port, the unit of the per-host limit
    std::promise<Result<HttpResponse>> done;
  };
  using JobPtr = std::shared_ptr<Job>;

  // Moves queued jobs onto the multi handle while the limits allow, oldest first, skipping those
  // whose host is busy so one slow publisher cannot hold up the rest.
  void admit() {
    std::lock_guard lock(mu_);
    for (auto it = queued_.begin(); it != queued_.end() && active_.size() < max_total_;) {
      JobPtr& job = *it;
      std::size_t& on_host = per_host_[job->host];
      if (on_host >= max_per_host_) {
        ++it;
        continue;
      }
      CURL* easy = nullptr;
      if (!idle_.empty()) {
        easy = idle_.back();
        idle_.pop_back();
      } else {
        easy = curl_easy_init();
        VIGIA_CHECK(easy != nullptr, "curl_easy_init failed");
      }
      job->transfer.setup(easy);
      curl_multi_add_handle(multi_, easy);
      ++on_host;
      active_.emplace(easy, std::move(job));
      it = queued_.erase(it);
    }
  }

  void complete(CURL* easy, CURLcode code) {
    JobPtr job;
    {
      std::lock_guard lock(mu_);
      auto it = active_.find(easy);
      if (it == active_.end()) return;
      job = std::move(it->second);
      active_.erase(it);
      if (--per_host_[job->host] == 0) per_host_.erase(job->host);
    }
    curl_multi_remove_handle(multi_, easy);
    Result<HttpResponse> result = job->transfer.finish(easy, code);
    {
      std::lock_guard lock(mu_);
      idle_.push_back(easy);
    }
    job->done.set_value(std::move(result));
  }

  void run() {
    while (!stop_) {
      admit();
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg == CURLMSG_DONE) complete(msg->easy_handle, msg->data.result);
      }
      // Wakes on socket activity, on curl_multi_wakeup (new work, shutdown), or within libcurl's
      // own timeout needs; the cap keeps stop-token checks (progress callbacks) flowing.
      curl_multi_poll(multi_, nullptr, 0, 200, nullptr);
    }
  }

  const std::size_t max_total_;
  const std::size_t max_per_host_;
  CURLM* multi_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread loop_;
  std::mutex mu_;
  std::deque<JobPtr> queued_;
  std::map<CURL*, JobPtr> active_;
  std::map<std::string, std::size_t> per_host_;
  std::vector<CURL*> idle_;
};

}  // namespace

HttpClientPtr make_curl_multi_http_client(HttpConcurrency limits) {
  return std::make_shared<CurlMultiHttpClient>(limits);
}

}  // namespace vigia
