// A small streaming JSON writer for our output contracts. Strings are escaped and any invalid
// UTF-8 is replaced by U+FFFD, so the output is always valid JSON whatever a feed contained.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigia {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view{s}); }
  JsonWriter& value(const std::string& s) { return value(std::string_view{s}); }
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(std::uint64_t n);
  JsonWriter& value(double d);
  JsonWriter& value(bool b);
  JsonWriter& null();
  // Splices an already-serialised JSON value in place.
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  std::vector<bool> first_in_scope_;
  bool after_key_ = false;
};

// Appends `s` to `out` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);

}  // namespace vigia
