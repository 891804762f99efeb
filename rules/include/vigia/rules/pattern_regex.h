// Turns what operators write into expressions over folded text (see text_fold.h).
//
// Terms are literal phrases with two conveniences: '*' stands for any word characters
// ("despensa*" matches despensas; "narco*" matches narcodespensas), and a hyphen matches a
// hyphen, a space or nothing ("anti-unión" = "anti unión" = "antiunión"). A space matches any
// whitespace (folding collapses runs to one character). A term only matches whole words: the
// boundaries are checked after the scan, treating ñ and other non-ASCII letters as letters
// (Hyperscan's \b would split "año"). A trailing '*' is not compiled at all: the scorer extends
// the match over the rest of the word, which keeps most terms fixed-width literals — far cheaper
// for Hyperscan to compile with start-of-match tracking.
//
// Regexes are Hyperscan syntax, matched case-insensitively; their non-ASCII characters are
// folded like text, so "explosión" in a regex matches "EXPLOSION". Inside [...] classes only
// ASCII is allowed, because a folded ñ is two bytes (write (?:ñ|n) instead).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vigia/rules/text_fold.h"

namespace vigia::rules {

struct TermRegex {
  std::string regex;
  bool check_left = false;
  bool check_right = false;
  bool extend_right = false;  // the term ended in '*': extend matches to the end of the word
};

struct TermOptions {
  TextForm form = TextForm::kFolded;
  bool enye_loose = false;  // ñ and n match each other (for sources that drop the tilde)
};

std::optional<TermRegex> term_to_regex(std::string_view term, std::string& error, TermOptions options = {});
// Regexes in the exact form are taken as written; in the cased form, non-ASCII letters are
// folded but keep their case.
std::optional<std::string> fold_regex(std::string_view regex, std::string& error, TextForm form = TextForm::kFolded);

}  // namespace vigia::rules
