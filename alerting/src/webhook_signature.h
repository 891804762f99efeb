// Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): the
// sender signs "<webhook-id>.<webhook-timestamp>.<body>" with HMAC-SHA256 and sends
// `webhook-signature: v1,<base64 of the MAC>`. Receivers verify with any of the project's
// libraries or a few lines of their own. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigia::alerting {

// The HMAC key for a configured secret: a "whsec_" prefix means the rest is base64 (the form
// Standard Webhooks libraries generate and print); anything else is used as raw bytes. nullopt
// when a whsec_ secret is not valid base64 or decodes to nothing.
std::optional<std::string> webhook_signing_key(std::string_view secret);

// "v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>".
std::string standard_webhooks_signature(std::string_view key, std::string_view id, std::string_view timestamp,
                                        std::string_view body);

// Standard base64 (with padding) of `bytes`; nullopt from the decoder for invalid input.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace vigia::alerting
