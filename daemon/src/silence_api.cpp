#include "silence_api.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <simdjson.h>

#include "vigia/core/json_writer.h"
#include "vigia/core/log.h"
#include "vigia/core/time.h"

namespace vigia::daemon {
namespace {

constexpr std::size_t kMaxMatchers = 64;
constexpr std::size_t kMaxFieldBytes = 4096;
constexpr const char* kJson = "application/json";

void reply_error(httplib::Response& res, int status, std::string_view message) {
  JsonWriter w;
  w.begin_object().field("error", message).end_object();
  res.status = status;
  res.set_content(w.take(), kJson);
}

// Hashing both sides first makes the comparison independent of the presented
// token's length.
bool token_equals(const std::string& presented, const std::string& expected) {
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(presented.data()), presented.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()), expected.size(), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

void write_silence(JsonWriter& w, const alerting::Silence& s, Timestamp now) {
  w.begin_object();
  w.field("id", s.id);
  w.key("matchers").begin_array();
  for (const auto& m : s.matchers) {
    w.begin_object()
        .field("name", m.name())
        .field("op", alerting::match_op_text(m.op()))
        .field("value", m.value())
        .end_object();
  }
  w.end_array();
  w.field("startsAt", format_rfc3339(s.starts_at));
  w.field("endsAt", format_rfc3339(s.ends_at));
  w.field("createdBy", s.created_by);
  w.field("comment", s.comment);
  w.field("createdAt", format_rfc3339(s.created_at));
  w.field("origin", s.origin == alerting::SilenceOrigin::kConfig ? "config" : "api");
  w.field("state", alerting::silence_state_name(s.state(now)));
  w.end_object();
}

// A string member, or "" when absent; an error text when present but not a
// bounded string.
std::string string_member(simdjson::dom::object obj, const char* key, std::string& out) {
  simdjson::dom::element e;
  if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return {};
  std::string_view sv;
  if (e.get_string().get(sv) != simdjson::SUCCESS) return std::string("'") + key + "' must be a string";
  if (sv.size() > kMaxFieldBytes) return std::string("'") + key + "' is too long";
  out.assign(sv);
  return {};
}

// Parses a POST body into a silence; on failure returns the message for the
// 400.
std::string parse_silence(const std::string& body, Timestamp now, alerting::Silence& out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(body).get(root); err != simdjson::SUCCESS) {
    return std::string("invalid JSON: ") + simdjson::error_message(err);
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return "the body must be a JSON object";

  simdjson::dom::array matchers;
  if (obj["matchers"].get_array().get(matchers) != simdjson::SUCCESS) {
    return "'matchers' must be an array of {name, value, op}";
  }
  if (matchers.size() > kMaxMatchers) return "too many matchers (at most " + std::to_string(kMaxMatchers) + ")";
  for (simdjson::dom::element me : matchers) {
    simdjson::dom::object mo;
    if (me.get_object().get(mo) != simdjson::SUCCESS) return "each matcher must be an object {name, value, op}";
    std::string name;
    std::string value;
    std::string op_text = "=";
    const std::initializer_list<std::pair<const char*, std::string*>> fields{
        {"name", &name}, {"value", &value}, {"op", &op_text}};
    for (const auto& [key, into] : fields) {
      if (auto why = string_member(mo, key, *into); !why.empty()) return "matcher: " + why;
    }
    if (op_text.empty()) op_text = "=";
    const auto op = alerting::parse_match_op(op_text);
    if (!op) return "matcher op '" + op_text + "' is not one of = != =~ !~ >= > <= <";
    auto m = alerting::Matcher::make(name, *op, value);
    if (!m.ok()) return m.error().message;
    out.matchers.push_back(std::move(*m));
  }

  std::string starts;
  std::string ends;
  const std::initializer_list<std::pair<const char*, std::string*>> fields{
      {"startsAt", &starts}, {"endsAt", &ends}, {"createdBy", &out.created_by}, {"comment", &out.comment}};
  for (const auto& [key, into] : fields) {
    if (auto why = string_member(obj, key, *into); !why.empty()) return why;
  }
  out.starts_at = now;
  if (!starts.empty()) {
    auto t = parse_rfc3339(starts);
    if (!t) return "'startsAt' is not an RFC 3339 time";
    out.starts_at = *t;
  }
  if (ends.empty()) return "'endsAt' is required (silences always expire)";
  auto t = parse_rfc3339(ends);
  if (!t) return "'endsAt' is not an RFC 3339 time";
  out.ends_at = *t;
  out.origin = alerting::SilenceOrigin::kApi;
  return {};
}

}  // namespace

void add_silence_api(httplib::Server& server, alerting::SilenceStorePtr store, std::string token, ClockPtr clock) {
  server.set_payload_max_length(kMaxApiBodyBytes);
  // Every handler starts here: disabled -> 403, wrong or missing token -> 401.
  auto allowed = [token](const httplib::Request& req, httplib::Response& res) {
    if (token.empty()) {
      reply_error(res, 403,
                  "the silences API is disabled: no API token is configured "
                  "(VIGIA_API_TOKEN or api.token_file)");
      return false;
    }
    const std::string auth = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0 ||
        !token_equals(auth.substr(kBearer.size()), token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      reply_error(res, 401, "missing or wrong bearer token");
      return false;
    }
    return true;
  };

  server.Post("/api/v1/silences", [=](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res)) return;
    const Timestamp now = clock->now();
    alerting::Silence s;
    if (auto why = parse_silence(req.body, now, s); !why.empty()) return reply_error(res, 400, why);
    auto id = store->add(std::move(s), now);
    if (!id.ok()) return reply_error(res, id.error().reason == "invalid" ? 400 : 500, id.error().message);
    if (auto made = store->get(*id)) {
      std::string matchers;
      for (const auto& m : made->matchers) matchers += (matchers.empty() ? "" : " ") + m.to_string();
      log::get("alerting")
          ->info("silence {} created by '{}' until {}: {} ({})", *id, made->created_by, format_rfc3339(made->ends_at),
                 matchers, made->comment);
    }
    JsonWriter w;
    w.begin_object().field("id", *id).end_object();
    res.status = 201;
    res.set_header("Location", "/api/v1/silences/" + *id);
    res.set_content(w.take(), kJson);
  });

  server.Get("/api/v1/silences", [=](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res)) return;
    const Timestamp now = clock->now();
    if (auto p = store->prune(now); !p.ok()) log::get("alerting")->warn("pruning silences: {}", p.error().message);
    JsonWriter w;
    w.begin_array();
    for (const auto& s : store->list()) write_silence(w, s, now);
    w.end_array();
    res.set_content(w.take(), kJson);
  });

  server.Get(R"(/api/v1/silences/([A-Za-z0-9-]+))", [=](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res)) return;
    auto s = store->get(req.matches[1].str());
    if (!s) return reply_error(res, 404, "no silence with that id");
    JsonWriter w;
    write_silence(w, *s, clock->now());
    res.set_content(w.take(), kJson);
  });

  server.Delete(R"(/api/v1/silences/([A-Za-z0-9-]+))", [=](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res)) return;
    const std::string id = req.matches[1].str();
    auto r = store->expire(id, clock->now());
    if (!r.ok()) return reply_error(res, 500, r.error().message);
    using E = alerting::SilenceStore::ExpireResult;
    switch (*r) {
      case E::kNotFound:
        return reply_error(res, 404, "no silence with that id");
      case E::kFromConfig:
        return reply_error(res, 409,
                           "this silence comes from the config file; remove "
                           "it there and reload");
      case E::kExpired:
        log::get("alerting")->info("silence {} expired through the API", id);
        break;
      case E::kAlreadyExpired:
        break;
    }
    JsonWriter w;
    w.begin_object().field("id", id).field("state", "expired").end_object();
    res.set_content(w.take(), kJson);
  });
}

Result<std::string> load_api_token(const ApiConfig& api) {
  std::string token;
  std::string from;
  if (!api.token_env.empty()) {
    if (const char* v = std::getenv(api.token_env.c_str()); v && *v) {
      token = v;
      from = "environment variable " + api.token_env;
    }
  }
  if (token.empty() && !api.token_file.empty()) {
    std::ifstream in(api.token_file, std::ios::binary);
    if (!in) return make_error("config", "cannot read api.token_file " + api.token_file.string());
    std::ostringstream buf;
    buf << in.rdbuf();
    token = buf.str();
    from = "api.token_file " + api.token_file.string();
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (!token.empty() && token.size() < kMinApiTokenBytes) {
    return make_error("config", "the API token from " + from + " is shorter than " + std::to_string(kMinApiTokenBytes) +
                                    " bytes; use a long random one");
  }
  return token;
}

}  // namespace vigia::daemon
