// What fetching must survive, on a real loopback server and for both clients (the blocking one
// the sinks use and the multi one the feeds use): compression, compression bombs, servers that
// never answer, redirects towards the inside.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <atomic>
#include <thread>

#include "support/loopback_server.h"
#include "vigia/core/http_client.h"

using namespace vigia;
using namespace std::chrono_literals;
using vigia::test::CannedResponse;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

std::string gzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) == Z_OK);  // +16: gzip wrapper
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

HttpClientPtr client_named(const std::string& kind) {
  if (kind == "multi") return make_curl_multi_http_client({4, 2});
  return make_curl_http_client();
}

HttpRequest request(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.allow_private_addresses = true;
  r.total_timeout = 5s;
  return r;
}

}  // namespace

TEST_CASE("gzip bodies are decoded, and the size cap applies to the decoded bytes", "[core][http]") {
  const std::string kind = GENERATE("easy", "multi");
  INFO("client: " << kind);
  auto http = client_named(kind);
  LoopbackServer server;
  const std::string feed = "<rss>" + std::string(50'000, 'x') + "</rss>";
  const std::string bomb = gzip(std::string(64u << 20, '\0'));  // 64 MiB of zeros in ~64 KiB
  server.on("GET", "/feed", [&](const ReceivedRequest& r) {
    CHECK_THAT(r.header("Accept-Encoding"), Catch::Contains("gzip"));
    return CannedResponse{200, gzip(feed), "application/rss+xml", {{"Content-Encoding", "gzip"}}};
  });
  server.on("GET", "/bomb", [&](const ReceivedRequest&) {
    return CannedResponse{200, bomb, "application/rss+xml", {{"Content-Encoding", "gzip"}}};
  });
  auto ok = http->perform(request(server.url("/feed")));
  REQUIRE(ok.ok());
  CHECK(ok->body == feed);

  auto capped = request(server.url("/bomb"));
  capped.max_body_bytes = 1u << 20;
  CHECK(bomb.size() < capped.max_body_bytes);  // the compressed body alone would pass the cap
  auto refused = http->perform(capped);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().reason == "too_large");
}

TEST_CASE("a server that never answers is a timeout, not a hang", "[core][http]") {
  const std::string kind = GENERATE("easy", "multi");
  INFO("client: " << kind);
  auto http = client_named(kind);
  LoopbackServer server;
  std::atomic<bool> release{false};
  server.on("GET", "/silent", [&](const ReceivedRequest&) {
    // Hold the response until the test is done with it (bounded, so the server can shut down).
    for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(10ms);
    return CannedResponse{200, "too late", "text/plain", {}};
  });
  auto r = request(server.url("/silent"));
  r.total_timeout = 300ms;
  auto res = http->perform(r);
  release = true;
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().reason == "timeout");
}

TEST_CASE("a redirect from a public address to an internal one is refused at connect time", "[core][http]") {
  const auto public_ip = vigia::test::public_ipv4_of_this_machine();
  if (!public_ip) {
    WARN("SKIP: this machine has no non-internal IPv4 address to act as the public first hop");
    return;
  }
  const std::string kind = GENERATE("easy", "multi");
  INFO("client: " << kind);
  auto http = client_named(kind);
  LoopbackServer inside;  // 127.0.0.1 only
  inside.serve("/secret", "internal data", "text/plain");
  LoopbackServer outside("0.0.0.0");
  outside.on("GET", "/feed", [&](const ReceivedRequest&) {
    return CannedResponse{302, "", "text/plain", {{"Location", inside.url("/secret")}}};
  });
  auto r = request(outside.url_on(*public_ip, "/feed"));
  r.allow_private_addresses = false;
  auto res = http->perform(r);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().reason == "blocked_address");
  CHECK(outside.requests().size() == 1);  // the public hop was allowed...
  CHECK(inside.requests().empty());       // ...the internal one never reached
}

TEST_CASE("the multi client keeps to its per-host and global limits", "[core][http]") {
  LoopbackServer a;
  LoopbackServer b;
  std::atomic<int> in_a{0}, in_b{0}, max_a{0}, max_total{0};
  auto slow = [&](std::atomic<int>& here) {
    return [&](const ReceivedRequest&) {
      const int now_here = ++here;
      const int total = in_a + in_b;
      int seen = max_total;
      while (total > seen && !max_total.compare_exchange_weak(seen, total)) {
      }
      if (&here == &in_a) {
        int m = max_a;
        while (now_here > m && !max_a.compare_exchange_weak(m, now_here)) {
        }
      }
      std::this_thread::sleep_for(150ms);  // long enough for the client to have tried more
      --here;
      return CannedResponse{200, "ok", "text/plain", {}};
    };
  };
  a.on("GET", "/x", slow(in_a));
  b.on("GET", "/x", slow(in_b));
  auto http = make_curl_multi_http_client({3, 2});
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&, i] {
      if (http->perform(request((i % 4 == 3 ? b : a).url("/x"))).ok()) ++ok;
    });
  }
  for (auto& t : callers) t.join();
  CHECK(ok == 8);
  CHECK(max_a <= 2);
  CHECK(max_total <= 3);
  CHECK(max_a >= 1);
}

TEST_CASE("time spent waiting for a busy host does not count against a request's timeout", "[core][http]") {
  LoopbackServer server;
  server.on("GET", "/x", [](const ReceivedRequest&) {
    std::this_thread::sleep_for(250ms);
    return CannedResponse{200, "ok", "text/plain", {}};
  });
  auto http = make_curl_multi_http_client({8, 1});
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&] {
      auto r = request(server.url("/x"));
      r.total_timeout = 600ms;  // each takes 250 ms; the third waits 500 ms before it starts
      if (http->perform(r).ok()) ++ok;
    });
  }
  for (auto& t : callers) t.join();
  CHECK(ok == 3);
}

TEST_CASE("a stop request cancels a transfer in progress", "[core][http]") {
  const std::string kind = GENERATE("easy", "multi");
  INFO("client: " << kind);
  auto http = client_named(kind);
  LoopbackServer server;
  std::atomic<bool> release{false};
  server.on("GET", "/slow", [&](const ReceivedRequest&) {
    for (int i = 0; i < 500 && !release; ++i) std::this_thread::sleep_for(10ms);
    return CannedResponse{200, "late", "text/plain", {}};
  });
  std::stop_source stop;
  auto r = request(server.url("/slow"));
  r.total_timeout = 10s;
  r.stop = stop.get_token();
  std::thread stopper([&] {
    // Whether the stop lands before or during the transfer, the outcome must be "cancelled".
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  auto res = http->perform(r);
  stopper.join();
  release = true;
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().reason == "cancelled");
  CHECK(std::chrono::steady_clock::now() - start < 5s);  // far sooner than the 10 s timeout
}
