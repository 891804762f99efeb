#include <catch2/catch.hpp>

#include "vigia/rules/text_fold.h"

using namespace vigia::rules;

TEST_CASE("folding lowers case and strips accents but keeps ñ distinct", "[rules][fold]") {
  CHECK(fold("EXPLOSIÓN en Michoacán") == "explosion en michoacan");
  CHECK(fold("Cártel Jalisco Nueva Generación") == "cartel jalisco nueva generacion");
  CHECK(fold("AÑO") == "a\xC3\xB1o");
  CHECK(fold("año") != fold("ano"));
  CHECK(fold("pingüino") == "pinguino");
}

TEST_CASE("folding turns typographic punctuation into ASCII and removes invisible characters", "[rules][fold]") {
  CHECK(fold("«CJNG»") == "\"cjng\"");
  CHECK(fold("“narco” — despensas") == "\"narco\" - despensas");
  CHECK(fold("¿Qué pasó?") == " que paso?");
  CHECK(fold("nar\u00ADco") == "narco");             // soft hyphen
  CHECK(fold("Ciudad\u00A0de\u00A0México") == "ciudad de mexico");  // no-break spaces
}

TEST_CASE("folding composes a decomposed ñ and survives invalid UTF-8", "[rules][fold]") {
  CHECK(fold("an\xCC\x83o") == "a\xC3\xB1o");  // n + combining tilde
  CHECK(fold("a\xFF" "b") == "a b");
}

TEST_CASE("folded offsets map back to the original text", "[rules][fold]") {
  const std::string original = "La EXPLOSIÓN en Michoacán";
  FoldedText f;
  fold_text(original, f);
  REQUIRE(f.text == "la explosion en michoacan");
  const auto pos = f.text.find("michoacan");
  const auto start = f.original_start(pos);
  const auto end = f.original_end(pos + 9);
  CHECK(original.substr(start, end - start) == "Michoacán");
  const auto e = f.text.find("explosion");
  CHECK(original.substr(f.original_start(e), f.original_end(e + 9) - f.original_start(e)) == "EXPLOSIÓN");
}

TEST_CASE("plain ASCII takes the fast path with identical offsets", "[rules][fold]") {
  FoldedText f;
  fold_text("Cartel HANDS OUT aid", f);
  CHECK(f.text == "cartel hands out aid");
  CHECK(f.origin.empty());
  CHECK(f.original_start(7) == 7);
  CHECK(f.original_end(20) == 20);
}

TEST_CASE("an end inside a multi-byte expansion rounds up to the whole original character", "[rules][fold]") {
  FoldedText f;
  fold_text("Straße", f);  // ß folds to "ss"
  REQUIRE(f.text == "strasse");
  CHECK(f.original_end(5) == std::string("Straße").find('e'));
}

TEST_CASE("folding collapses whitespace runs and keeps line breaks as sentence breaks", "[rules][fold]") {
  CHECK(fold("a  \t b") == "a b");
  CHECK(fold("a \n\n c") == "a\nc");
  CHECK(fold("a\r\nb") == "a\nb");
  CHECK(fold("¿ Qué") == " que");
  FoldedText f;
  const std::string original = "Venden   vacunas\n\n  falsas";
  fold_text(original, f);
  CHECK(f.text == "venden vacunas\nfalsas");
  REQUIRE_FALSE(f.origin.empty());
  const auto pos = f.text.find("falsas");
  CHECK(original.substr(f.original_start(pos), 6) == "falsas");
}
