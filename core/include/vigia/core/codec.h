// JSON codecs for the bus contracts. Encoding never fails; decoding reports where a record is
// broken (reason "json" for syntax, "schema" for a wrong field type, "version" for an
// unsupported "v"). Decoders ignore unknown fields so that producers can add some.
// Thread-safety: all functions are safe to call concurrently (parsers are per thread).
#pragma once

#include <string>
#include <string_view>

#include "vigia/core/json_writer.h"
#include "vigia/core/model.h"
#include "vigia/core/result.h"

namespace vigia {

std::string encode_item(const Item& item);
std::string encode_hit(const Hit& hit);
std::string encode_alert(const Alert& alert);

// Writes the object without wrapping, for callers composing a larger document.
void write_item(JsonWriter& w, const Item& item);
void write_match(JsonWriter& w, const Match& match);
void write_terms(JsonWriter& w, const std::vector<Term>& terms);
void write_entities(JsonWriter& w, const Entities& entities);

Result<Item> decode_item(std::string_view json);
Result<Hit> decode_hit(std::string_view json);
// The Alert contract back from its JSON (dead letters being replayed); alert.id is required.
Result<Alert> decode_alert(std::string_view json);

}  // namespace vigia
