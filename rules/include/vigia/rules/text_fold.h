// Text folding for matching: lower case, accents and other marks stripped, compatibility forms
// unified (NFKD), typographic punctuation turned into ASCII — but `ñ` kept distinct from `n`
// (año is not ano) — and whitespace runs collapsed to one character (a newline if the run held
// one, so sentence breaks survive). Text and patterns are folded by the same function, which is
// what lets Hyperscan run in its fast ASCII mode and still match "EXPLOSIÓN" with "explosion",
// and lets a multi-word term compile to a fixed-width literal.
//
// The folded text keeps a map back to byte offsets in the original, so matches can be reported
// and quoted where a reader will find them. Plain-ASCII input takes a fast path with no map.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigia::rules {

struct FoldedText {
  std::string text;
  // origin[i] is the original offset of the code point that produced folded byte i. Empty when
  // folding was byte-for-byte, where offsets are identical.
  std::vector<std::uint32_t> origin;
  std::size_t original_size = 0;

  std::size_t original_start(std::size_t folded_offset) const;
  // Maps an exclusive end offset; an end inside a multi-byte expansion rounds up to the end of
  // the original code point.
  std::size_t original_end(std::size_t folded_end) const;
};

// The text a pattern is matched against: folded (the default), folded with case kept, or the
// original bytes as published (`exact: true`).
enum class TextForm : std::uint8_t { kFolded, kCased, kExact };
inline constexpr std::size_t kTextForms = 3;

// kLower is the default matching form. kKeep folds the same way but keeps letter case, for
// case-sensitive patterns (acronyms such as CDG that collide with common words when lower-cased).
enum class FoldCase { kLower, kKeep };

// Folds `in` into `out`, reusing its buffers (the hot path calls this per field per item).
void fold_text(std::string_view in, FoldedText& out, FoldCase fold_case = FoldCase::kLower);

// Folds a pattern or a short string; no offset map.
std::string fold(std::string_view in, FoldCase fold_case = FoldCase::kLower);

// Word characters of folded text: ASCII letters, digits, '_' and every byte of a multi-byte
// sequence (folding leaves only letters and digits outside ASCII, e.g. ñ).
inline bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80 || (c >= 'A' && c <= 'Z');
}

}  // namespace vigia::rules
