// Turns what operators write into expressions over folded text (see text_fold.h).
//
// Terms are literal phrases with two conveniences: '*' stands for any word characters
// ("despensa*" matches despensas; "narco*" matches narcodespensas), and a hyphen matches a
// hyphen, a space or nothing ("anti-unión" = "anti unión" = "antiunión"). Runs of spaces match
// any whitespace. A term only matches whole words: the boundaries are checked after the scan,
// treating ñ and other non-ASCII letters as letters (Hyperscan's \b would split "año").
//
// Regexes are Hyperscan syntax, matched case-insensitively; their non-ASCII characters are
// folded like text, so "explosión" in a regex matches "EXPLOSION". Inside [...] classes only
// ASCII is allowed, because a folded ñ is two bytes (write (?:ñ|n) instead).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vigia::rules {

struct TermRegex {
  std::string regex;
  bool check_left = false;
  bool check_right = false;
};

std::optional<TermRegex> term_to_regex(std::string_view term, std::string& error);
std::optional<std::string> fold_regex(std::string_view regex, std::string& error);

}  // namespace vigia::rules
