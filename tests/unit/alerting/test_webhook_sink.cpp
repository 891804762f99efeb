#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <simdjson.h>

#include "alerting_test_util.h"
#include "support/loopback_server.h"
#include "support/test_paths.h"
#include "vigia/core/clock.h"
#include "webhook_sink.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;
using vigia::test::CannedResponse;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

std::string_view str(simdjson::dom::element e, const char* pointer) {
  std::string_view out;
  if (e.at_pointer(pointer).get_string().get(out) != simdjson::SUCCESS) return "<missing>";
  return out;
}

// A loopback port that refuses connections: bound, never listening, held for the test's life so
// no other process can take it meanwhile.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// core's HttpClient keeps one libcurl handle, and so one open connection, per thread; the
// loopback server's destructor then waits out its 5 s keep-alive. Delivering from a thread that
// ends closes the connection, as the stage's joined workers do.
DeliveryResult deliver_and_close(Sink& sink, const Alert& alert) {
  DeliveryResult r;
  std::thread([&] { r = sink.deliver(alert); }).join();
  return r;
}

DeliveryResult deliver_once(LoopbackServer& server, int status,
                            std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
  server.on("POST", "/hook", [=](const ReceivedRequest&) {
    return CannedResponse{status, body, "text/plain", headers};
  });
  auto sink = create_sink(webhook_spec("hook", server.url("/hook")));
  return deliver_and_close(*sink, sample_alert());
}

}  // namespace

TEST_CASE("webhook sink POSTs the alert JSON with Standard Webhooks headers to a real receiver",
          "[alerting][webhook]") {
  LoopbackServer server;
  server.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{204, "", "text/plain", {}}; });
  auto clock = std::make_shared<ManualClock>(at("2024-05-03T12:05:07.250Z"));
  SinkServices services;
  services.clock = clock;
  auto sink = create_sink(webhook_spec("hook", server.url("/hook")), services);

  const Alert alert = sample_alert();
  const DeliveryResult r = deliver_and_close(*sink, alert);
  CHECK(r.outcome == Delivery::kDelivered);

  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const ReceivedRequest& req = requests[0];
  CHECK(req.method == "POST");
  CHECK(req.path == "/hook");
  CHECK(req.header("Content-Type") == "application/json");
  CHECK(req.header("webhook-id") == alert.id);
  CHECK(req.header("webhook-timestamp") == "1714737907");  // unix seconds of the injected clock
  CHECK(req.header("webhook-signature").empty());          // no secret configured: unsigned

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(req.body).get(doc) == simdjson::SUCCESS);
  CHECK(str(doc, "/id") == alert.id);
  CHECK(str(doc, "/rule") == "cjng-activity");
  CHECK(str(doc, "/severity") == "high");
  CHECK(str(doc, "/category") == "cartels");
  CHECK(str(doc, "/title") == "Actividad del Cártel Jalisco Nueva Generación");
  CHECK(str(doc, "/item/title") == "Detienen a presuntos integrantes del CJNG en Salamanca");
  CHECK(str(doc, "/item/url") == alert.item.url);
  CHECK(str(doc, "/item/source") == "El Universal");
  CHECK(str(doc, "/item/published") == "2024-05-03T12:00:00Z");
  CHECK(str(doc, "/snippets/0/snippet") == "Detienen a presuntos integrantes del [[CJNG]] en Salamanca");
  CHECK(str(doc, "/entities/cartels/0") == "CJNG");
  CHECK(str(doc, "/entities/places_mx/1") == "Salamanca");
  CHECK(str(doc, "/story/sources/0") == "El Universal");
  double score = 0;
  REQUIRE(doc.at_pointer("/score").get_double().get(score) == simdjson::SUCCESS);
  CHECK(score == 8.5);
}

TEST_CASE("webhook sink retries 5xx, 408 and 429 and rejects other 4xx and redirects", "[alerting][webhook]") {
  LoopbackServer server;
  struct Case {
    int status;
    Delivery outcome;
    const char* reason;
  };
  const Case cases[] = {
      {200, Delivery::kDelivered, ""},      {202, Delivery::kDelivered, ""},      {500, Delivery::kRetry, "http_5xx"},
      {503, Delivery::kRetry, "http_5xx"},  {408, Delivery::kRetry, "http_408"},  {429, Delivery::kRetry, "http_429"},
      {400, Delivery::kReject, "http_4xx"}, {404, Delivery::kReject, "http_4xx"}, {301, Delivery::kReject, "http_3xx"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.status);
    const DeliveryResult r = deliver_once(server, c.status, {{"Location", "/elsewhere"}});
    CHECK(r.outcome == c.outcome);
    CHECK(r.reason == c.reason);
    if (c.outcome != Delivery::kDelivered)
      CHECK(r.message.find("HTTP " + std::to_string(c.status)) != std::string::npos);
  }
  // A redirect is reported, never followed: the alert must not go to a host nobody configured.
  for (const auto& req : server.requests()) CHECK(req.path == "/hook");
}

TEST_CASE("webhook sink reads Retry-After as seconds or as an HTTP date", "[alerting][webhook]") {
  LoopbackServer server;
  const DeliveryResult seconds = deliver_once(server, 429, {{"Retry-After", "7"}});
  CHECK(seconds.outcome == Delivery::kRetry);
  CHECK(seconds.retry_after == std::chrono::milliseconds{7000});

  auto clock = std::make_shared<ManualClock>(at("2024-05-03T12:00:00Z"));
  server.on("POST", "/hook", [](const ReceivedRequest&) {
    return CannedResponse{503, "", "text/plain", {{"Retry-After", "Fri, 03 May 2024 12:01:30 GMT"}}};
  });
  SinkServices services;
  services.clock = clock;
  const DeliveryResult date =
      deliver_and_close(*create_sink(webhook_spec("hook", server.url("/hook")), services), sample_alert());
  CHECK(date.outcome == Delivery::kRetry);
  CHECK(date.retry_after == std::chrono::milliseconds{90'000});

  CHECK_FALSE(deliver_once(server, 503).retry_after.has_value());
}

TEST_CASE("webhook sink refuses a loopback receiver unless allow_private is set", "[alerting][webhook]") {
  LoopbackServer server;
  server.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "", "text/plain", {}}; });
  SinkSpec spec = webhook_spec("hook", server.url("/hook"));
  spec.settings.set("allow_private", false);
  const DeliveryResult r = deliver_and_close(*create_sink(spec), sample_alert());
  CHECK(r.outcome == Delivery::kReject);
  CHECK(r.reason == "blocked_address");
  CHECK(server.requests().empty());
}

TEST_CASE("webhook failure messages name the receiver's scheme and host but never its secret path or credentials",
          "[alerting][webhook]") {
  RefusingPort port;
  const std::string secret_url =
      "http://ops:hunter2@127.0.0.1:" + std::to_string(port.port()) + "/services/T000/B000/XXXXSECRETTOKEN?sig=abc";
  const DeliveryResult refused = deliver_and_close(*create_sink(webhook_spec("hook", secret_url)), sample_alert());
  CHECK(refused.outcome == Delivery::kRetry);
  CHECK(refused.reason == "connect");
  CHECK(refused.message.find("http://127.0.0.1") != std::string::npos);
  CHECK(refused.message.find("SECRETTOKEN") == std::string::npos);
  CHECK(refused.message.find("hunter2") == std::string::npos);
  CHECK(refused.message.find("sig=") == std::string::npos);

  LoopbackServer server;
  server.on("POST", "/services/T000/SECRET", [](const ReceivedRequest&) {
    return CannedResponse{500, "upstream broke", "text/plain", {}};
  });
  const DeliveryResult failed =
      deliver_and_close(*create_sink(webhook_spec("hook", server.url("/services/T000/SECRET"))), sample_alert());
  CHECK(failed.outcome == Delivery::kRetry);
  CHECK(failed.message == "HTTP 500 from " + vigia::redact_url(server.url("/")) + ": upstream broke");
}

TEST_CASE("webhook sink sends configured extra headers and refuses to override its own", "[alerting][webhook]") {
  LoopbackServer server;
  server.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "", "text/plain", {}}; });
  SinkSpec spec = webhook_spec("hook", server.url("/hook"));
  spec.settings.set("headers", std::vector<std::string>{"Authorization: Bearer s3cr3t", "X-Team:  guardia"});
  REQUIRE(deliver_and_close(*create_sink(spec), sample_alert()).outcome == Delivery::kDelivered);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("Authorization") == "Bearer s3cr3t");
  CHECK(requests[0].header("X-Team") == "guardia");

  spec.settings.set("headers", std::vector<std::string>{"webhook-id: forged"});
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("set by the sink itself"));
  spec.settings.set("headers", std::vector<std::string>{"no colon here"});
  CHECK_THROWS_AS(create_sink(spec), std::invalid_argument);
}

TEST_CASE("webhook sink creation rejects a URL that is not http or https without echoing it", "[alerting][webhook]") {
  SinkSpec spec = webhook_spec("hook", "ftp://files.example.com/secret-path");
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("sink 'hook'") && !Catch::Contains("secret-path"));
  spec.settings.set("url", std::string("https://"));
  CHECK_THROWS_AS(create_sink(spec), std::invalid_argument);
  spec.settings.set("url", std::string("https://hooks.example.com/x"));
  spec.settings.set("timeout", std::chrono::milliseconds{0});
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("timeout"));
}

TEST_CASE("a webhook URL can come from url_env or url_file, so a token in it stays out of the config",
          "[alerting][webhook]") {
  LoopbackServer server;
  server.on("POST", "/hook/TOKEN", [](const ReceivedRequest&) { return CannedResponse{204, "", "text/plain", {}}; });
  vigia::test::TempDir dir;
  vigia::test::write_file(dir / "url", server.url("/hook/TOKEN") + "\n");
  SinkSpec spec = webhook_spec("hook", "");
  spec.settings.set("url_file", (dir / "url").string());
  CHECK(deliver_and_close(*create_sink(spec), sample_alert()).outcome == Delivery::kDelivered);

  ::setenv("VIGIA_TEST_WEBHOOK_URL", server.url("/hook/TOKEN").c_str(), 1);
  spec.settings.set("url_file", std::string(""));
  spec.settings.set("url_env", std::string("VIGIA_TEST_WEBHOOK_URL"));
  CHECK(deliver_and_close(*create_sink(spec), sample_alert()).outcome == Delivery::kDelivered);
  CHECK(server.requests().size() == 2);
  spec.settings.set("url", server.url("/hook/TOKEN"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("sink 'hook'") && Catch::Contains("only one of") &&
                                           !Catch::Contains("TOKEN"));
  ::unsetenv("VIGIA_TEST_WEBHOOK_URL");

  SinkSpec none = webhook_spec("hook", "");
  CHECK_THROWS_WITH(create_sink(none), Catch::Contains("set one of url, url_env, url_file"));
}

TEST_CASE("a receiver that hangs times out and one that closes the connection unanswered is retried",
          "[alerting][webhook]") {
  SECTION("hangs") {
    LoopbackServer server;
    server.on("POST", "/hook", [](const ReceivedRequest&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return CannedResponse{200, "late", "text/plain", {}};
    });
    SinkSpec spec = webhook_spec("hook", server.url("/hook"));
    spec.settings.set("timeout", std::chrono::milliseconds{200});
    auto sink = create_sink(spec);
    const DeliveryResult r = deliver_and_close(*sink, sample_alert());
    CHECK(r.outcome == Delivery::kRetry);
    CHECK(r.reason == "timeout");
  }
  SECTION("closes the connection") {
    // A listener that accepts and closes at once, before any byte of a response.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    std::thread closer([fd] {
      const int c = ::accept(fd, nullptr, nullptr);
      if (c >= 0) ::close(c);
    });
    auto sink = create_sink(webhook_spec("hook", "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/hook"));
    const DeliveryResult r = deliver_and_close(*sink, sample_alert());
    closer.join();
    ::close(fd);
    CHECK(r.outcome == Delivery::kRetry);
    CHECK_FALSE(r.reason.empty());
    CHECK(r.message.find("/hook") == std::string::npos);  // the path may be a secret
  }
}
