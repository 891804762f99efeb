#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

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

TEST_CASE("a fold that leaves the ASCII fast path part-way agrees with folding from scratch", "[rules][fold]") {
  // The fast path hands over at the first byte it cannot fold in place (an accent, a tab, a
  // second space, a decomposed ñ): text before it must keep identity offsets, text after it the
  // general path's, and the result must be what the pattern side's fold() gives.
  const std::vector<std::string> texts = {
      "Cartel HANDS OUT aid in Michoacán",     "Plain start\tthen a tab",  "two  spaces then ACCÉNT",
      "ends with a decomposed an\xCC\x83o",    "N\xCC\x83o at the start", "line\n\nbreaks and «quotes»",
      "Despensas del CJNG en Tecalitlán, Jalisco — ¿quién las reparte?"};
  for (const auto& original : texts) {
    INFO(original);
    FoldedText f;
    fold_text(original, f);
    CHECK(f.text == fold(original));
    REQUIRE(f.origin.size() == f.text.size());
    for (std::size_t i = 1; i < f.origin.size(); ++i) CHECK(f.origin[i - 1] <= f.origin[i]);
    // Every folded ASCII letter sits on the original byte it came from (case aside).
    for (std::size_t i = 0; i < f.text.size(); ++i) {
      const char c = f.text[i];
      if (c >= 'a' && c <= 'z' && static_cast<unsigned char>(original[f.origin[i]]) < 0x80 &&
          (original[f.origin[i]] | 0x20) != 'n') {
        CHECK((original[f.origin[i]] | 0x20) == c);
      }
    }
  }
  FoldedText f;
  fold_text("Cartel en Tecalitlán", f);
  const auto pos = f.text.find("tecalitlan");
  CHECK(std::string("Cartel en Tecalitlán").substr(f.original_start(pos), f.original_end(pos + 10) - f.original_start(pos)) ==
        "Tecalitlán");
  fold_text("an\xCC\x83o", f);
  CHECK(f.text == "a\xC3\xB1o");
  CHECK(f.original_start(1) == 1);  // the ñ starts at the 'n'
  CHECK(f.original_end(3) == 4);    // and ends after the combining tilde
}

TEST_CASE("the bulk ASCII path folds any mix of text exactly like the byte-by-byte reference", "[rules][fold]") {
  // Runs longer than a 16-byte block, blanks on block edges, accents, a decomposed ñ, tabs and
  // line breaks, in a fixed pseudo-random order: every branch of the bulk path against a
  // reference written the slow, obvious way.
  const std::vector<std::string> pieces = {"Cartel ", "JALISCO", " ", "  ", "\t", "\n", "Michoacán", "an\xCC\x83o",
                                           "N\xCC\x83", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789abcdef", "é", "«", "-"};
  auto reference = [](const std::string& in) {
    // Lower-case ASCII letters, accents and marks per fold() of each piece alone, blanks collapsed.
    std::string out;
    bool blank = false;
    for (std::size_t i = 0; i < in.size();) {
      const auto c = static_cast<unsigned char>(in[i]);
      if (c == ' ' || c == '\t' || c == '\n') {
        const bool line = c == '\n';
        if (!blank) out.push_back(line ? '\n' : ' ');
        else if (line) out.back() = '\n';
        blank = true;
        ++i;
        continue;
      }
      std::size_t len = c < 0x80 ? 1 : (c < 0xE0 ? 2 : 3);
      if ((c | 0x20) == 'n' && in.compare(i + 1, 2, "\xCC\x83") == 0) len = 3;
      const std::string piece = fold(in.substr(i, len));
      for (const char p : piece) {
        if (p == ' ') {
          if (!blank) out.push_back(' ');
          blank = true;
        } else {
          out.push_back(p);
          blank = false;
        }
      }
      i += len;
    }
    return out;
  };
  std::uint32_t state = 12345;
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int count = 1 + static_cast<int>(state % 40);
    for (int k = 0; k < count; ++k) {
      state = state * 1103515245u + 12345u;
      text += pieces[(state >> 16) % pieces.size()];
    }
    INFO(text);
    FoldedText f;
    fold_text(text, f);
    REQUIRE(f.text == reference(text));
    CHECK(fold(text) == f.text);
    if (!f.origin.empty()) {
      REQUIRE(f.origin.size() == f.text.size());
      for (std::size_t i = 0; i < f.text.size(); ++i) {
        const auto c = static_cast<unsigned char>(f.text[i]);
        if (c >= '0' && c <= '9') CHECK(text[f.origin[i]] == static_cast<char>(c));
      }
    }
  }
}
