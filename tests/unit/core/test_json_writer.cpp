#include <catch2/catch.hpp>

#include "vigia/core/json_writer.h"

using vigia::JsonWriter;

TEST_CASE("JSON writer nests objects and arrays with correct commas", "[core][json]") {
  JsonWriter w;
  w.begin_object().field("a", 1).key("b").begin_array().value("x").value(true).null().end_array();
  w.key("c").begin_object().end_object().end_object();
  CHECK(w.str() == R"({"a":1,"b":["x",true,null],"c":{}})");
}

TEST_CASE("JSON writer escapes quotes, backslashes and control characters", "[core][json]") {
  JsonWriter w;
  w.value(std::string_view("q\"b\\n\n\t\x01"));
  CHECK(w.str() == R"("q\"b\\n\n\t\u0001")");
}

TEST_CASE("JSON writer keeps valid UTF-8 and replaces invalid bytes with U+FFFD", "[core][json]") {
  JsonWriter ok;
  ok.value("Cártel señal 🚨");
  CHECK(ok.str() == "\"Cártel señal 🚨\"");
  JsonWriter bad;
  bad.value(std::string_view("a\xE9z\xC3"));  // Latin-1 é, then a truncated sequence
  CHECK(bad.str() == "\"a\xEF\xBF\xBDz\xEF\xBF\xBD\"");
}

TEST_CASE("JSON writer prints scores compactly", "[core][json]") {
  JsonWriter w;
  w.begin_array().value(4.0).value(4.5).value(0.125).value(-0.0).end_array();
  CHECK(w.str() == "[4,4.5,0.125,0]");
}
