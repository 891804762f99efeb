#include "vigia/rules/text_fold.h"

#include <array>

#include <utf8proc.h>

namespace vigia::rules {
namespace {

constexpr char32_t kLowerNTilde = 0xF1;
constexpr char32_t kUpperNTilde = 0xD1;
constexpr char32_t kCombiningTilde = 0x303;

void append_utf8(std::string& out, char32_t cp) {
  char buf[4];
  const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), reinterpret_cast<utf8proc_uint8_t*>(buf));
  out.append(buf, static_cast<std::size_t>(n));
}

// What one code point folds to. Computed with utf8proc; cached for the ranges news text lives in.
std::string fold_code_point_uncached(char32_t cp) {
  if (cp == kLowerNTilde || cp == kUpperNTilde) return "\xC3\xB1";
  utf8proc_int32_t decomposed[32];
  int boundclass = 0;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                                       UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
  const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), decomposed, 32, options, &boundclass);
  if (n < 0) return " ";
  std::string out;
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    const auto c = static_cast<char32_t>(decomposed[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
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
        append_utf8(out, c);
        break;
      case UTF8PROC_CATEGORY_MN:
      case UTF8PROC_CATEGORY_MC:
      case UTF8PROC_CATEGORY_ME:
      case UTF8PROC_CATEGORY_CF:  // soft hyphen, zero-width joiners: invisible, so gone
        break;
      case UTF8PROC_CATEGORY_PD:
        out.push_back('-');
        break;
      case UTF8PROC_CATEGORY_PI:
      case UTF8PROC_CATEGORY_PF:
        out.push_back('"');
        break;
      default:
        // Other punctuation, symbols and separators become a space: a word boundary that
        // patterns can rely on, whatever typography the outlet used.
        out.push_back(' ');
    }
  }
  return out;
}

// Latin-1 Supplement through Latin Extended-B, plus General Punctuation: covers Spanish,
// Portuguese, French and the typography of news sites.
constexpr char32_t kCacheLow = 0x80;
constexpr char32_t kCacheHigh = 0x250;
constexpr char32_t kPunctLow = 0x2000;
constexpr char32_t kPunctHigh = 0x2070;

struct FoldCache {
  std::array<std::string, kCacheHigh - kCacheLow> latin;
  std::array<std::string, kPunctHigh - kPunctLow> punct;
  FoldCache() {
    for (char32_t c = kCacheLow; c < kCacheHigh; ++c) latin[c - kCacheLow] = fold_code_point_uncached(c);
    for (char32_t c = kPunctLow; c < kPunctHigh; ++c) punct[c - kPunctLow] = fold_code_point_uncached(c);
  }
};

const FoldCache& cache() {
  static const FoldCache c;
  return c;
}

// Appends the folding of `cp` without building a temporary string for the common cases.
void append_folded(char32_t cp, std::string& out) {
  if (cp >= kCacheLow && cp < kCacheHigh) {
    out += cache().latin[cp - kCacheLow];
  } else if (cp >= kPunctLow && cp < kPunctHigh) {
    out += cache().punct[cp - kPunctLow];
  } else {
    out += fold_code_point_uncached(cp);
  }
}

constexpr std::array<char, 128> make_ascii_table() {
  std::array<char, 128> t{};
  for (int i = 0; i < 128; ++i) t[static_cast<std::size_t>(i)] = static_cast<char>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}
constexpr std::array<char, 128> kAsciiLower = make_ascii_table();

bool is_fold_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Appends one folded byte. Whitespace runs collapse to one character — a newline when the run
// held a line break, since sentences end there — so a space in a pattern is one fixed byte.
// Returns whether the byte was kept.
inline bool emit(std::string& out, char c) {
  const auto u = static_cast<unsigned char>(c);
  if (!is_fold_space(u)) {
    out.push_back(c);
    return true;
  }
  const char w = (c == ' ' || c == '\t') ? ' ' : '\n';
  if (!out.empty() && is_fold_space(static_cast<unsigned char>(out.back()))) {
    if (w == '\n') out.back() = '\n';
    return false;
  }
  out.push_back(w);
  return true;
}

// True when folding `s` is byte-for-byte: ASCII with no whitespace to collapse or translate.
bool folds_in_place(std::string_view s) {
  bool prev_space = false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c & 0x80) return false;
    const bool space = is_fold_space(c);
    if (space && (prev_space || (c != ' ' && c != '\n'))) return false;
    prev_space = space;
  }
  return true;
}

template <bool kTrackOrigin>
void fold_general(std::string_view in, std::string& out, std::vector<std::uint32_t>* origin) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(in.data());
  std::string folded_cp;
  std::size_t i = 0;
  while (i < in.size()) {
    const auto b = static_cast<unsigned char>(in[i]);
    std::size_t consumed = 1;
    if (b < 0x80) {
      // An 'n' followed by a combining tilde is an ñ written decomposed (NFD sources).
      if ((b == 'n' || b == 'N') && i + 2 < in.size() && static_cast<unsigned char>(in[i + 1]) == 0xCC &&
          static_cast<unsigned char>(in[i + 2]) == 0x83) {
        out += "\xC3\xB1";
        consumed = 3;
      } else {
        emit(out, kAsciiLower[b]);
      }
    } else {
      utf8proc_int32_t cp = 0;
      const auto n = utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(in.size() - i), &cp);
      if (n <= 0) {
        emit(out, ' ');  // an invalid byte is a boundary, never a crash
      } else {
        consumed = static_cast<std::size_t>(n);
        if (cp != static_cast<utf8proc_int32_t>(kCombiningTilde)) {
          folded_cp.clear();
          append_folded(static_cast<char32_t>(cp), folded_cp);
          for (char c : folded_cp) emit(out, c);
        }
      }
    }
    if constexpr (kTrackOrigin) origin->resize(out.size(), static_cast<std::uint32_t>(i));
    i += consumed;
  }
}

}  // namespace

std::size_t FoldedText::original_start(std::size_t folded_offset) const {
  if (origin.empty()) return folded_offset;
  if (folded_offset >= origin.size()) return original_size;
  return origin[folded_offset];
}

std::size_t FoldedText::original_end(std::size_t folded_end) const {
  if (origin.empty()) return folded_end;
  if (folded_end >= origin.size()) return original_size;
  const std::uint32_t here = origin[folded_end];
  if (folded_end == 0 || origin[folded_end - 1] != here) return here;
  // The end falls inside the expansion of one code point: round up to that code point's end.
  for (std::size_t j = folded_end + 1; j < origin.size(); ++j) {
    if (origin[j] != here) return origin[j];
  }
  return original_size;
}

void fold_text(std::string_view in, FoldedText& out) {
  out.text.clear();
  out.origin.clear();
  out.original_size = in.size();
  if (folds_in_place(in)) {
    out.text.resize(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) out.text[i] = kAsciiLower[static_cast<unsigned char>(in[i])];
    return;
  }
  out.text.reserve(in.size());
  out.origin.reserve(in.size());
  fold_general<true>(in, out.text, &out.origin);
}

std::string fold(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  fold_general<false>(in, out, nullptr);
  return out;
}

}  // namespace vigia::rules
