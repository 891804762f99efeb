#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "alerting_test_util.h"
#include "support/log_capture.h"
#include "support/loopback_server.h"
#include "support/process.h"
#include "support/test_paths.h"
#include "vigia/core/clock.h"
#include "webhook_signature.h"
#include "webhook_sink.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;
using vigia::test::CannedResponse;
using vigia::test::LoopbackServer;
using vigia::test::ReceivedRequest;

namespace {

// A whsec_ secret as Standard Webhooks libraries print them (base64 of 24 random bytes).
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

DeliveryResult deliver_and_close(Sink& sink, const Alert& alert) {
  DeliveryResult r;
  std::thread([&] { r = sink.deliver(alert); }).join();
  return r;
}

// python3 from PATH (run_process execs a path, not a name); "" when there is none.
std::string python3_path() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t at = 0;
  while (at <= dirs.size()) {
    const auto colon = dirs.find(':', at);
    const std::string dir = dirs.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
    const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / "python3";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  return {};
}

bool have_python3() {
  const std::string python = python3_path();
  if (python.empty()) return false;
  const auto r = vigia::test::run_process({python, "-c", "import hmac, hashlib, base64"}, {}, std::chrono::seconds(20));
  return r.exit_code == 0;
}

// Verifies a Standard Webhooks delivery with Python's hmac, independently of our OpenSSL code:
// exit 0 and "ok" when the signature header matches id.timestamp.body under the secret.
vigia::test::ProcessResult python_verify(const std::string& secret, const ReceivedRequest& req) {
  static const std::string kScript = R"PY(
import base64, hashlib, hmac, sys
secret, msg_id, ts, header = sys.argv[1:5]
body = sys.stdin.buffer.read()
key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
expected = base64.b64encode(hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256).digest()).decode()
ok = any(p.split(",", 1) == ["v1", expected] for p in header.split(" "))
print("ok" if ok else "mismatch: expected v1," + expected + " got " + header)
sys.exit(0 if ok else 1)
)PY";
  return vigia::test::run_process({python3_path(), "-c", kScript, secret, req.header("webhook-id"),
                                   req.header("webhook-timestamp"), req.header("webhook-signature")},
                                  req.body, std::chrono::seconds(20));
}

SinkSpec signed_spec(const std::string& url, const std::string& file) {
  SinkSpec spec = webhook_spec("signed-hook", url);
  spec.settings.set("secret_file", file);
  return spec;
}

}  // namespace

TEST_CASE("Standard Webhooks signature matches the specification's published example", "[alerting][signing]") {
  // The example in the Standard Webhooks reference libraries' tests.
  const auto key = webhook_signing_key(kSecret);
  REQUIRE(key.has_value());
  CHECK(standard_webhooks_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("webhook signing keys decode whsec_ base64 and take other secrets as raw bytes", "[alerting][signing]") {
  CHECK(webhook_signing_key("whsec_aGVsbG8=") == std::optional<std::string>("hello"));
  CHECK(webhook_signing_key("whsec_aGk=") == std::optional<std::string>("hi"));
  CHECK(webhook_signing_key("plain secret") == std::optional<std::string>("plain secret"));
  CHECK_FALSE(webhook_signing_key("whsec_not base64!").has_value());
  CHECK_FALSE(webhook_signing_key("whsec_").has_value());
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("abcd") == "YWJjZA==");
  CHECK(base64_decode("YWJjZA==") == std::optional<std::string>("abcd"));
}

TEST_CASE("a signed webhook delivery verifies with an independent Python implementation", "[alerting][signing]") {
  if (!have_python3()) {
    WARN("python3 with hmac/hashlib/base64 is not available: skipping the independent signature check");
    return;
  }
  vigia::test::TempDir dir;
  vigia::test::write_file(dir / "secret", std::string(kSecret) + "\n");
  LoopbackServer server;
  server.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "", "text/plain", {}}; });
  auto clock = std::make_shared<ManualClock>(at("2024-05-03T12:05:07Z"));
  SinkServices services;
  services.clock = clock;
  auto sink = create_sink(signed_spec(server.url("/hook"), (dir / "secret").string()), services);

  Alert alert = sample_alert();
  alert.item.title = "Título con acentos, \"comillas\" y emoji 🚨";  // non-ASCII bytes are signed as sent
  REQUIRE(deliver_and_close(*sink, alert).outcome == Delivery::kDelivered);
  alert.sequence = 2;
  REQUIRE(deliver_and_close(*sink, alert).outcome == Delivery::kDelivered);

  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  for (const auto& req : requests) {
    CHECK(req.header("webhook-signature").rfind("v1,", 0) == 0);
    const auto verdict = python_verify(kSecret, req);
    INFO(verdict.out << verdict.err);
    CHECK(verdict.exit_code == 0);
  }
  // A tampered body must not verify: the check is not vacuous.
  ReceivedRequest tampered = requests[0];
  tampered.body += " ";
  CHECK(python_verify(kSecret, tampered).exit_code == 1);
}

TEST_CASE("webhook-id is the alert id for the first version, id-sequence for updates, and stable across retries",
          "[alerting][signing]") {
  LoopbackServer server;
  server.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{503, "", "text/plain", {}}; });
  auto sink = create_sink(webhook_spec("hook", server.url("/hook")));
  Alert alert = sample_alert();
  CHECK(deliver_and_close(*sink, alert).outcome == Delivery::kRetry);
  CHECK(deliver_and_close(*sink, alert).outcome == Delivery::kRetry);  // a retry of the same delivery
  alert.sequence = 3;
  CHECK(deliver_and_close(*sink, alert).outcome == Delivery::kRetry);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].header("webhook-id") == alert.id);
  CHECK(requests[1].header("webhook-id") == alert.id);
  CHECK(requests[2].header("webhook-id") == alert.id + "-3");
  CHECK(webhook_message_id(alert) == alert.id + "-3");
}

TEST_CASE("webhook signing secret comes from env or file, never both, and is never logged", "[alerting][signing]") {
  vigia::test::LogCapture logs("alerting");
  LoopbackServer server;
  server.on("POST", "/hook", [](const ReceivedRequest&) { return CannedResponse{200, "", "text/plain", {}}; });
  ::setenv("VIGIA_TEST_WEBHOOK_SECRET", "raw-secret-value-123", 1);
  SinkSpec spec = webhook_spec("hook", server.url("/hook"));
  spec.settings.set("secret_env", std::string("VIGIA_TEST_WEBHOOK_SECRET"));
  auto clock = std::make_shared<ManualClock>(at("2024-05-03T12:05:07Z"));
  SinkServices services;
  services.clock = clock;
  const Alert alert = sample_alert();
  REQUIRE(deliver_and_close(*create_sink(spec, services), alert).outcome == Delivery::kDelivered);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("webhook-signature") ==
        standard_webhooks_signature("raw-secret-value-123", alert.id, "1714737907", requests[0].body));
  CHECK(logs.text().find("raw-secret-value-123") == std::string::npos);

  spec.settings.set("secret_file", std::string("/nonexistent/secret"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("sink 'hook'") && Catch::Contains("only one of"));
  spec.settings.set("secret_env", std::string(""));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("cannot read /nonexistent/secret"));
  spec.settings.set("secret_file", std::string(""));
  spec.settings.set("secret_env", std::string("VIGIA_TEST_UNSET_VARIABLE_XYZ"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("VIGIA_TEST_UNSET_VARIABLE_XYZ is unset"));
  ::setenv("VIGIA_TEST_WEBHOOK_SECRET", "whsec_%%%%", 1);
  spec.settings.set("secret_env", std::string("VIGIA_TEST_WEBHOOK_SECRET"));
  CHECK_THROWS_WITH(create_sink(spec), Catch::Contains("whsec_") && !Catch::Contains("%%%%"));
  ::unsetenv("VIGIA_TEST_WEBHOOK_SECRET");
}
