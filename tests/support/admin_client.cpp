#include "support/admin_client.h"

#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include "vigia/core/http_client.h"

namespace vigia::test {

using namespace std::chrono_literals;

int admin_port(const ChildProcess& child) {
  REQUIRE(child.wait_for_err("(port ", 20s));
  std::smatch m;
  const std::string err = child.err();
  REQUIRE(std::regex_search(err, m, std::regex(R"(\(port (\d+)\))")));
  return std::stoi(m[1]);
}

std::string scrape(int port) {
  HttpRequest r;
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  r.allow_private_addresses = true;
  auto res = make_curl_http_client()->perform(r);
  REQUIRE(res.ok());
  REQUIRE(res->status == 200);
  return res->body;
}

bool wait_for_metric(int port, const std::string& line, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (scrape(port).find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace vigia::test
