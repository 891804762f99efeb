#include "vigia/core/unicode_fold.h"

#include <utf8proc.h>

namespace vigia {

bool fold_code_point_pieces(char32_t cp, bool case_fold, std::vector<FoldedPiece>& out) {
  utf8proc_int32_t decomposed[32];
  int boundclass = 0;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_STRIPMARK |
                                                       UTF8PROC_IGNORE | (case_fold ? UTF8PROC_CASEFOLD : 0));
  const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), decomposed, 32, options, &boundclass);
  if (n < 0) return false;
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    const auto c = static_cast<char32_t>(decomposed[i]);
    if (c < 0x80) {
      out.push_back({c, PieceClass::kAscii});
      continue;
    }
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
      case UTF8PROC_CATEGORY_LU:
      case UTF8PROC_CATEGORY_LL:
      case UTF8PROC_CATEGORY_LT:
      case UTF8PROC_CATEGORY_LM:
      case UTF8PROC_CATEGORY_LO:
      case UTF8PROC_CATEGORY_ND:
      case UTF8PROC_CATEGORY_NL:
      case UTF8PROC_CATEGORY_NO:
        out.push_back({c, PieceClass::kWord});
        break;
      case UTF8PROC_CATEGORY_MN:
      case UTF8PROC_CATEGORY_MC:
      case UTF8PROC_CATEGORY_ME:
      case UTF8PROC_CATEGORY_CF:
        break;
      case UTF8PROC_CATEGORY_PD:
        out.push_back({c, PieceClass::kDash});
        break;
      case UTF8PROC_CATEGORY_PI:
      case UTF8PROC_CATEGORY_PF:
        out.push_back({c, PieceClass::kQuote});
        break;
      default:
        out.push_back({c, PieceClass::kOther});
    }
  }
  return true;
}

}  // namespace vigia
