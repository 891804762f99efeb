#include <catch2/catch.hpp>

#include "vigia/rules/pattern_regex.h"

using namespace vigia::rules;

TEST_CASE("terms become folded regexes with flexible spaces, hyphens and wildcards", "[rules][pattern]") {
  std::string error;
  auto t = term_to_regex("Vacuna*  Falsa*", error);
  REQUIRE(t);
  // Folding collapses whitespace, so one \s stands for any run; the trailing '*' is left to the
  // scorer, which extends the match to the end of the word.
  CHECK(t->regex == "vacuna[a-z0-9_\\x80-\\xff]*\\sfalsa");
  CHECK(t->check_left);
  CHECK_FALSE(t->check_right);
  CHECK(t->extend_right);

  auto plain = term_to_regex("cajas de ayuda", error);
  REQUIRE(plain);
  CHECK(plain->regex == "cajas\\sde\\sayuda");
  CHECK(plain->check_right);
  CHECK_FALSE(plain->extend_right);

  auto h = term_to_regex("Anti-Unión", error);
  REQUIRE(h);
  CHECK(h->regex == "anti[\\s\\-]?union");

  auto n = term_to_regex("Año", error);
  REQUIRE(n);
  CHECK(n->regex == "a\\xc3\\xb1o");
}

TEST_CASE("terms escape regex syntax and skip boundary checks at symbol edges", "[rules][pattern]") {
  std::string error;
  auto t = term_to_regex("$50 (USD)", error);
  REQUIRE(t);
  CHECK(t->regex == "\\$50\\s\\(usd\\)");
  CHECK_FALSE(t->check_left);
  CHECK_FALSE(t->check_right);
}

TEST_CASE("a term without any literal character is rejected", "[rules][pattern]") {
  std::string error;
  CHECK_FALSE(term_to_regex(" * - ", error));
  CHECK_THAT(error, Catch::Contains("needs at least one"));
}

TEST_CASE("regexes keep their ASCII syntax and fold non-ASCII literals", "[rules][pattern]") {
  std::string error;
  auto r = fold_regex("\\bEXPLOSIÓN\\S*", error);
  REQUIRE(r);
  CHECK(*r == "\\bEXPLOSIoN\\S*");  // ASCII case is left to Hyperscan's caseless flag

  auto n = fold_regex("AÑO+", error);
  REQUIRE(n);
  CHECK(*n == "A(?:\\xc3\\xb1)O+");
}

TEST_CASE("non-ASCII inside a character class is refused with advice", "[rules][pattern]") {
  std::string error;
  CHECK_FALSE(fold_regex("[ñn]o", error));
  CHECK_THAT(error, Catch::Contains("(?:ñ|n)"));
  CHECK(fold_regex("[a-z]+ño", error));
}
