// A real HTTP server on 127.0.0.1 (cpp-httplib) for tests: it serves feeds and receives
// webhooks over real sockets, on a port the kernel picks. It records every request so tests can
// assert what a receiver actually got.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace vigia::test {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(const std::string& name) const;  // case-insensitive, "" when absent
};

struct CannedResponse {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;
};

class LoopbackServer {
 public:
  using Handler = std::function<CannedResponse(const ReceivedRequest&)>;

  // Listens on `host` ("127.0.0.1" by default; "0.0.0.0" to be reachable on every interface).
  explicit LoopbackServer(const std::string& host = "127.0.0.1");
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Routes are matched exactly on the path; requests to other paths get 404 (and are recorded).
  void on(const std::string& method, const std::string& path, Handler handler);
  void serve(const std::string& path, std::string body, std::string content_type);

  int port() const { return port_; }
  std::string url(const std::string& path) const;  // on 127.0.0.1
  std::string url_on(const std::string& address, const std::string& path) const;

  std::vector<ReceivedRequest> requests() const;
  // Waits (bounded) until at least `n` requests to `path` arrived; returns how many did.
  std::size_t wait_for(const std::string& path, std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  void handle(const httplib::Request& req, httplib::Response& res);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable arrived_;
  std::vector<std::pair<std::pair<std::string, std::string>, Handler>> routes_;
  std::vector<ReceivedRequest> requests_;
};

// An IPv4 address of this machine that is_internal_address() does not refuse (e.g. a public or
// documentation-range address on eth0), for tests that need a "public" first hop; nullopt when
// the machine has none.
std::optional<std::string> public_ipv4_of_this_machine();

}  // namespace vigia::test
