#include "support/loopback_server.h"

#include "vigia/core/http_client.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace vigia::test {

std::string ReceivedRequest::header(const std::string& name) const {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  const std::string want = lower(name);
  for (const auto& [k, v] : headers) {
    if (lower(k) == want) return v;
  }
  return {};
}

LoopbackServer::LoopbackServer(const std::string& host) : server_(std::make_unique<httplib::Server>()) {
  // One request per connection: a kept-alive client connection would make the destructor wait
  // out httplib's keep-alive timeout (5 s) before the server thread can join.
  server_->set_keep_alive_max_count(1);
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server_->Get(".*", dispatch);
  server_->Post(".*", dispatch);
  server_->Put(".*", dispatch);
  server_->Delete(".*", dispatch);
  port_ = server_->bind_to_any_port(host);
  if (port_ <= 0) throw std::runtime_error("loopback server: cannot bind " + host);
  // bind_to_any_port already listens, so connections queue until the loop below accepts them.
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the loop runs, so a destructor racing ahead would hang the join.
  while (!server_->is_running()) std::this_thread::yield();
}

LoopbackServer::~LoopbackServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void LoopbackServer::on(const std::string& method, const std::string& path, Handler handler) {
  std::lock_guard lock(mu_);
  routes_.push_back({{method, path}, std::move(handler)});
}

void LoopbackServer::serve(const std::string& path, std::string body, std::string content_type) {
  on("GET", path, [body = std::move(body), content_type = std::move(content_type)](const ReceivedRequest&) {
    return CannedResponse{200, body, content_type, {}};
  });
}

std::string LoopbackServer::url(const std::string& path) const { return url_on("127.0.0.1", path); }

std::string LoopbackServer::url_on(const std::string& address, const std::string& path) const {
  return "http://" + address + ":" + std::to_string(port_) + path;
}

std::optional<std::string> public_ipv4_of_this_machine() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* a = list; a != nullptr && !found; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if (vigia::is_internal_address(a->ifa_addr, sizeof(sockaddr_in))) continue;
    char text[INET_ADDRSTRLEN] = {0};
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
  }
  freeifaddrs(list);
  return found;
}

void LoopbackServer::handle(const httplib::Request& req, httplib::Response& res) {
  ReceivedRequest r{req.method, req.path, {}, req.body};
  for (const auto& [k, v] : req.headers) r.headers.emplace_back(k, v);
  Handler handler;
  {
    std::lock_guard lock(mu_);
    // Latest registration wins, so a test can change a route's behaviour mid-way.
    for (auto it = routes_.rbegin(); it != routes_.rend(); ++it) {
      if (it->first.first == req.method && it->first.second == req.path) {
        handler = it->second;
        break;
      }
    }
  }
  CannedResponse out = handler ? handler(r) : CannedResponse{404, "no route", "text/plain", {}};
  res.status = out.status;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  res.set_content(out.body, out.content_type);
  {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
  }
  arrived_.notify_all();
}

std::vector<ReceivedRequest> LoopbackServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::size_t LoopbackServer::wait_for(const std::string& path, std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  auto count = [&] {
    return static_cast<std::size_t>(
        std::count_if(requests_.begin(), requests_.end(), [&](const ReceivedRequest& r) { return r.path == path; }));
  };
  arrived_.wait_for(lock, timeout, [&] { return count() >= n; });
  return count();
}

}  // namespace vigia::test
