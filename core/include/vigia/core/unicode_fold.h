// What one code point becomes when text is folded for matching (rule scans, story fingerprints):
// its compatibility decomposition (NFKD) with marks stripped and, if asked, case folded, each
// piece classed by what it is to a word. Both the rule engine's folding and the alert stage's
// story fingerprints build on it, so that "Cártel", "CÁRTEL" and "cartel" are one word to both.
//
// Thread-safety: a pure function. Failure: false when utf8proc cannot decompose the code point.
#pragma once

#include <vector>

namespace vigia {

enum class PieceClass {
  kAscii,  // below 0x80: the caller decides (case, punctuation rules differ by use)
  kWord,   // a letter or digit of any script
  kDash,   // Pd: hyphens and dashes
  kQuote,  // Pi/Pf: opening and closing quotation marks
  kOther,  // other punctuation, symbols, separators: a word boundary
};

struct FoldedPiece {
  char32_t c;
  PieceClass cls;
};

// Appends the pieces of `cp` to `out`; invisible ones (combining marks, format characters such
// as the soft hyphen) are left out, as they belong to the word they sit in.
bool fold_code_point_pieces(char32_t cp, bool case_fold, std::vector<FoldedPiece>& out);

}  // namespace vigia
