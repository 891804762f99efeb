#include "http_connector.h"

#include <string>

#include "http_fetch.h"
#include "vigia/connectors/feed_parser.h"
#include "vigia/core/log.h"
#include "xml_node.h"

namespace vigia::connectors {
namespace {

constexpr std::string_view kAccept =
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";

class HttpConnector final : public Connector {
 public:
  HttpConnector(const FeedSpec& feed, const ConnectorServices& services)
      : fetch_(feed, services),
        validators_(feed.name, services.state),
        url_(detail::trim(feed.settings.string("url"))) {}

  Result<PollReport> poll(ItemWriter& out, std::stop_token stop) override {
    fetch_.clear_retry_after();
    if (auto bad = fetch_.check(url_)) return *bad;
    if (stop.stop_requested()) return cancelled();

    auto res = fetch_.get(url_, kAccept, {}, &validators_, stop);
    if (!res) return res.error();
    PollReport report;
    report.retry_after = fetch_.retry_after();
    report.bytes = res->body.size();
    if (res->not_modified) {
      report.not_modified = true;
      return report;
    }

    FeedContext ctx;
    ctx.source = fetch_.feed_name();
    ctx.connector = "http";
    ctx.base_url = res->base_url;
    ctx.charset_hint = res->charset;
    ctx.fetched = res->fetched;
    auto parsed = parse_feed(res->body, ctx);
    if (!parsed) return make_error("parse", fetch_.where() + redact_url(url_) + ": " + parsed.error().message);
    if (!parsed->well_formed) {
      log::get("connectors")
          ->debug("{}{} is broken XML, recovered: {}", fetch_.where(), redact_url(url_), parsed->problem);
    }
    for (auto& item : parsed->items) {
      if (stop.stop_requested()) return cancelled();
      if (auto st = out.write(std::move(item)); !st) return st.error();
      ++report.items;
    }
    report.skipped = parsed->skipped;
    validators_.store(res->etag, res->last_modified);
    return report;
  }

  std::optional<std::chrono::milliseconds> retry_after() const override { return fetch_.retry_after(); }
  void reload_state() override { validators_.reload(); }

 private:
  Error cancelled() const { return make_error("cancelled", fetch_.where() + "poll cancelled"); }

  detail::HttpFetcher fetch_;
  detail::HttpValidators validators_;
  const std::string url_;
};

ConnectorPtr create(const FeedSpec& feed, const ConnectorServices& services) {
  return std::make_unique<HttpConnector>(feed, services);
}

}  // namespace

ConnectorKind http_connector_kind() {
  return ConnectorKind{
      "http",
      "An RSS, RDF, Atom or JSON Feed fetched over HTTP(S), with conditional GET.",
      detail::with_http_common_keys({
          {"url", ConfigType::kString, true, "", "the feed's http or https URL"},
      }),
      &create,
  };
}

}  // namespace vigia::connectors
