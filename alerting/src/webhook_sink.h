// The generic JSON webhook sink: POSTs the Alert contract (vigia::encode_alert) with the
// Standard Webhooks headers `webhook-id` (the alert id, the receiver's idempotency key) and
// `webhook-timestamp` (unix seconds). Signing (`webhook-signature`) is not done here yet.
//
// The URL is a secret (Slack-style URLs carry their token in the path): logs and
// DeliveryResult::message only ever show its scheme and host.
#pragma once

#include <string>
#include <string_view>

#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: url (required), timeout (10s), allow_private (false), headers ("Name: value" list).
// create() throws std::invalid_argument for values the schema cannot check itself (a URL that
// is not http(s), a malformed or reserved extra header, a non-positive timeout); the message
// never contains the URL.
SinkKind webhook_sink_kind();

// How a receiver's answer maps to an outcome: 2xx delivered; 408, 429 and 5xx retry (with the
// Retry-After header when present); anything else rejected. `where` names the receiver in the
// message (already redacted).
DeliveryResult classify_response(const HttpResponse& response, Timestamp now, std::string_view where);

// Transport failures (HttpClient error reasons) map to retry, except those that another try
// cannot fix: "blocked_address", "protocol", "too_many_redirects" are rejected.
Delivery classify_transport_error(std::string_view reason);

}  // namespace vigia::alerting
