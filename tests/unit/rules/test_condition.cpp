#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "vigia/rules/condition.h"

using namespace vigia::rules;

namespace {

const std::map<std::string, int, std::less<>> kNames{{"a", 0}, {"b", 1}, {"c", 2}, {"places_mx", 3}};

int resolve(std::string_view n) {
  auto it = kNames.find(n);
  return it == kNames.end() ? -1 : it->second;
}

struct FakeContext : ConditionContext {
  std::set<int> present;
  bool near_result = false;
  bool sentence_result = false;
  bool matched(int s) const override { return present.count(s) != 0; }
  bool near(int, int, int) const override { return near_result; }
  bool same_sentence(int, int) const override { return sentence_result; }
};

Condition parse(const std::string& text) {
  ConditionError error;
  auto c = parse_condition(text, resolve, error);
  INFO(error.message);
  REQUIRE(c);
  return *c;
}

}  // namespace

TEST_CASE("conditions follow not > and > or precedence", "[rules][condition]") {
  const Condition c = parse("a or b and not c");
  FakeContext ctx;
  ctx.present = {0};
  CHECK(evaluate(c, ctx));
  ctx.present = {1};
  CHECK(evaluate(c, ctx));
  ctx.present = {1, 2};
  CHECK_FALSE(evaluate(c, ctx));
  ctx.present = {};
  CHECK_FALSE(evaluate(c, ctx));
}

TEST_CASE("parentheses and keywords in any case are accepted", "[rules][condition]") {
  const Condition c = parse("(a OR b) AND places_mx");
  FakeContext ctx;
  ctx.present = {1};
  CHECK_FALSE(evaluate(c, ctx));
  ctx.present = {1, 3};
  CHECK(evaluate(c, ctx));
}

TEST_CASE("near and same_sentence delegate to the item context", "[rules][condition]") {
  const Condition n = parse("near(a, places_mx, 8)");
  CHECK(n.op == Condition::Op::kNear);
  CHECK(n.distance == 8);
  FakeContext ctx;
  CHECK_FALSE(evaluate(n, ctx));
  ctx.near_result = true;
  CHECK(evaluate(n, ctx));
  const Condition s = parse("same_sentence(a, b) and c");
  ctx.sentence_result = true;
  ctx.present = {2};
  CHECK(evaluate(s, ctx));
}

TEST_CASE("condition errors point at the offending token", "[rules][condition]") {
  ConditionError error;
  CHECK_FALSE(parse_condition("a and zeta", resolve, error));
  CHECK(error.offset == 6);
  CHECK_THAT(error.message, Catch::Contains("unknown pattern or list 'zeta'"));

  CHECK_FALSE(parse_condition("a and (b or c", resolve, error));
  CHECK_THAT(error.message, Catch::Contains("expected ')'"));

  CHECK_FALSE(parse_condition("a b", resolve, error));
  CHECK(error.offset == 2);

  CHECK_FALSE(parse_condition("near(a, b)", resolve, error));
  CHECK_THAT(error.message, Catch::Contains("word distance"));

  CHECK_FALSE(parse_condition("a and", resolve, error));
  CHECK_THAT(error.message, Catch::Contains("ends too early"));
}

TEST_CASE("positive symbols skip negated parts", "[rules][condition]") {
  std::vector<int> out;
  positive_symbols(parse("a and not (b or c) and near(places_mx, a, 3)"), out);
  std::sort(out.begin(), out.end());
  CHECK(out == std::vector<int>{0, 0, 3});
}
