#include "vigia/daemon/admin_server.h"

#include <httplib.h>

#include "silence_api.h"

namespace vigia::daemon {

AdminServer::AdminServer(MetricsRegistry& registry, std::function<void()> before_scrape)
    : registry_(registry), before_scrape_(std::move(before_scrape)), server_(std::make_unique<httplib::Server>()) {
  // httplib's default adds SO_REUSEPORT, which would let a second daemon share our port and
  // answer every other scrape. Plain SO_REUSEADDR still allows a quick restart.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    if (before_scrape_) before_scrape_();
    res.set_content(serialize_metrics(registry_), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (ready_) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready\n", "text/plain");
    }
  });
}

AdminServer::~AdminServer() { stop(); }

void AdminServer::enable_silence_api(std::shared_ptr<alerting::SilenceStore> store, std::string token, ClockPtr clock) {
  add_silence_api(*server_, std::move(store), std::move(token), std::move(clock));
}

Status AdminServer::start(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return make_error("config", "http.listen must be host:port, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return make_error("config", "http.listen has no valid port: '" + listen + "'");
  }
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) return make_error("bind", "cannot listen on " + listen + " (address in use or not local?)");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() does nothing until the accept loop runs; wait so an early stop cannot hang.
  while (!server_->is_running()) std::this_thread::yield();
  return ok_status();
}

void AdminServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace vigia::daemon
