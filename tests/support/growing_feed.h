// An RSS feed a test adds items to while a daemon polls it (served from a LoopbackServer's
// thread), and a bounded wait on a condition. Header-only, shared by the Kafka-mode integration
// tests.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigia::test {

struct FeedItem {
  std::string title;
  std::string link;
};

inline std::string rss(const std::vector<FeedItem>& items) {
  std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Noticias de prueba</title><link>https://noticias.example.mx/</link>
)";
  for (const auto& item : items) {
    xml +=
        "<item><title>" + item.title + "</title><link>" + item.link +
        "</link><description>Nota de prueba.</description><pubDate>Mon, 03 May 2021 12:00:00 -0500</pubDate></item>\n";
  }
  return xml + "</channel></rss>\n";
}

class GrowingFeed {
 public:
  void add(FeedItem item) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
  }
  std::string xml() const {
    std::lock_guard lock(mu_);
    return rss(items_);
  }

 private:
  mutable std::mutex mu_;
  std::vector<FeedItem> items_;
};

// Polls `done` every 100 ms until it holds or `timeout` passes.
template <class Done>
bool eventually(std::chrono::milliseconds timeout, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace vigia::test
