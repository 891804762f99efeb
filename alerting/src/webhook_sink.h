// The generic JSON webhook sink: POSTs the Alert contract (vigia::encode_alert) with the
// Standard Webhooks headers `webhook-id` (see webhook_message_id(): the receiver's idempotency
// key), `webhook-timestamp` (unix seconds) and, when a secret is configured (`secret_env` or
// `secret_file`), `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
//
// The URL is a secret (Slack-style URLs carry their token in the path): logs and
// DeliveryResult::message only ever show its scheme and host.
#pragma once

#include <string>
#include <string_view>

#include "vigia/alerting/sink.h"

namespace vigia::alerting {

// Keys: url (required), timeout (10s), allow_private (false), headers ("Name: value" list),
// secret_env / secret_file (at most one; the signing secret, never logged).
// create() throws std::invalid_argument for values the schema cannot check itself (a URL that
// is not http(s), a malformed or reserved extra header, a non-positive timeout); the message
// never contains the URL.
SinkKind webhook_sink_kind();

// The `webhook-id` of one delivery of `alert`: the alert id for its first version (sequence 1),
// "<alert id>-<sequence>" for each update. Retries and post-crash redeliveries of one version
// carry the same id, so a receiver drops duplicates; an update is a new message, so a receiver
// deduplicating on the id still gets it. (Alert ids are hex hashes, so no update id can equal
// another alert's id.)
std::string webhook_message_id(const Alert& alert);

// How a receiver's answer maps to an outcome: 2xx delivered; 408, 429 and 5xx retry (with the
// Retry-After header when present); anything else rejected. `where` names the receiver in the
// message (already redacted).
DeliveryResult classify_response(const HttpResponse& response, Timestamp now, std::string_view where);

// Transport failures (HttpClient error reasons) map to retry, except those that another try
// cannot fix: "blocked_address", "protocol", "too_many_redirects" are rejected.
Delivery classify_transport_error(std::string_view reason);

}  // namespace vigia::alerting
