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
std::string fold_code_point_uncached(char32_t cp, bool keep_case) {
  if (cp == kLowerNTilde || (cp == kUpperNTilde && !keep_case)) return "\xC3\xB1";
  if (cp == kUpperNTilde) return "\xC3\x91";
  utf8proc_int32_t decomposed[32];
  int boundclass = 0;
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_STRIPMARK |
                                                       UTF8PROC_IGNORE | (keep_case ? 0 : UTF8PROC_CASEFOLD));
  const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), decomposed, 32, options, &boundclass);
  if (n < 0) return " ";
  std::string out;
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    const auto c = static_cast<char32_t>(decomposed[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(!keep_case && c >= 'A' && c <= 'Z' ? c + 32 : c));
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
  explicit FoldCache(bool keep_case) {
    for (char32_t c = kCacheLow; c < kCacheHigh; ++c) latin[c - kCacheLow] = fold_code_point_uncached(c, keep_case);
    for (char32_t c = kPunctLow; c < kPunctHigh; ++c) punct[c - kPunctLow] = fold_code_point_uncached(c, keep_case);
  }
};

const FoldCache& cache(bool keep_case) {
  static const FoldCache lower(false);
  static const FoldCache cased(true);
  return keep_case ? cased : lower;
}

// The folding of `cp`, without a temporary string for the ranges news text lives in.
std::string_view folded_view(char32_t cp, bool keep_case) {
  if (cp >= kCacheLow && cp < kCacheHigh) return cache(keep_case).latin[cp - kCacheLow];
  if (cp >= kPunctLow && cp < kPunctHigh) return cache(keep_case).punct[cp - kPunctLow];
  thread_local std::string rare;
  rare = fold_code_point_uncached(cp, keep_case);
  return rare;
}

constexpr std::array<char, 128> make_ascii_table() {
  std::array<char, 128> t{};
  for (int i = 0; i < 128; ++i) t[static_cast<std::size_t>(i)] = static_cast<char>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}
constexpr std::array<char, 128> kAsciiLower = make_ascii_table();

constexpr std::array<char, 128> make_identity_table() {
  std::array<char, 128> t{};
  for (int i = 0; i < 128; ++i) t[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return t;
}
constexpr std::array<char, 128> kAsciiSame = make_identity_table();


// Lower-cases `in` into `out` while it folds byte for byte — ASCII with no whitespace to collapse
// or translate, most English text — in one pass; false as soon as it does not (then `out` is
// partial and the caller starts over on the general path).
bool fold_in_place(std::string_view in, std::string& out, const std::array<char, 128>& ascii) {
  out.resize(in.size());
  bool prev_space = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c & 0x80) return false;
    if (c <= ' ') {
      const bool space = c == ' ' || c == '\n';
      if (!space && (c == '\t' || c == '\r' || c == '\f' || c == '\v')) return false;
      if (space && prev_space) return false;
      prev_space = space;
    } else {
      prev_space = false;
    }
    out[i] = ascii[c];
  }
  return true;
}

// One pass, byte by byte for ASCII and code point by code point otherwise. Whitespace runs
// collapse to one character — a newline when the run held a line break, since sentences end
// there — so a space in a pattern is one fixed byte. Every output byte records where in `in` its
// code point started (when tracking), which is what maps matches back to the original text.
// Output goes into pre-sized buffers through raw cursors: this runs on every field of every item.
template <bool kTrackOrigin>
class Folder {
 public:
  Folder(std::string& out, std::vector<std::uint32_t>* origin, bool keep_case)
      : out_(out), origin_(origin), keep_case_(keep_case), ascii_(keep_case ? kAsciiSame : kAsciiLower) {}

  void run(std::string_view in) {
    const std::size_t n = in.size();
    const auto* s = reinterpret_cast<const unsigned char*>(in.data());
    reserve(n + 16);
    std::size_t i = 0;
    while (i < n) {
      const unsigned char b = s[i];
      if (b < 0x80) {
        if (b <= ' ' && (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v')) {
          blank(b != ' ' && b != '\t', i);
        } else if ((b | 0x20) == 'n' && i + 2 < n && s[i + 1] == 0xCC && s[i + 2] == 0x83) {
          // An 'n' followed by a combining tilde is an ñ written decomposed (NFD sources).
          put('\xC3', i);
          put(keep_case_ && b == 'N' ? '\x91' : '\xB1', i);
          i += 3;
          continue;
        } else {
          put(ascii_[b], i);
        }
        ++i;
        continue;
      }
      char32_t cp = 0;
      std::size_t len = 0;
      if (b >= 0xC2 && b <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
        cp = (static_cast<char32_t>(b & 0x1F) << 6) | (s[i + 1] & 0x3F);  // Latin: most of it
        len = 2;
      } else {
        utf8proc_int32_t decoded = 0;
        const auto l = utf8proc_iterate(s + i, static_cast<utf8proc_ssize_t>(n - i), &decoded);
        if (l <= 0) {
          blank(false, i);  // an invalid byte is a boundary, never a crash
          ++i;
          continue;
        }
        cp = static_cast<char32_t>(decoded);
        len = static_cast<std::size_t>(l);
      }
      if (cp != kCombiningTilde) {
        const std::string_view folded = folded_view(cp, keep_case_);
        reserve(folded.size() + (n - i) + 16);
        for (const char c : folded) {
          if (c == ' ' || c == '\n') {
            blank(c == '\n', i);
          } else {
            put(c, i);
          }
        }
      }
      i += len;
    }
    out_.resize(size_);
    if constexpr (kTrackOrigin) origin_->resize(size_);
  }

 private:
  // Room for at least `more` bytes past what is written.
  void reserve(std::size_t more) {
    if (size_ + more <= out_.size()) return;
    out_.resize(size_ + more + more / 2);
    if constexpr (kTrackOrigin) origin_->resize(out_.size());
  }
  void put(char c, std::size_t at) {
    out_[size_] = c;
    if constexpr (kTrackOrigin) (*origin_)[size_] = static_cast<std::uint32_t>(at);
    ++size_;
    last_blank_ = false;
  }
  void blank(bool line_break, std::size_t at) {
    if (last_blank_) {
      if (line_break) out_[size_ - 1] = '\n';
      return;
    }
    put(line_break ? '\n' : ' ', at);
    last_blank_ = true;
  }

  std::string& out_;
  std::vector<std::uint32_t>* origin_;
  const bool keep_case_;
  const std::array<char, 128>& ascii_;
  std::size_t size_ = 0;
  bool last_blank_ = false;
};

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

void fold_text(std::string_view in, FoldedText& out, FoldCase fold_case) {
  const bool keep_case = fold_case == FoldCase::kKeep;
  out.text.clear();
  out.origin.clear();
  out.original_size = in.size();
  if (fold_in_place(in, out.text, keep_case ? kAsciiSame : kAsciiLower)) return;
  out.text.clear();
  Folder<true>(out.text, &out.origin, keep_case).run(in);
}

std::string fold(std::string_view in, FoldCase fold_case) {
  std::string out;
  Folder<false>(out, nullptr, fold_case == FoldCase::kKeep).run(in);
  return out;
}

}  // namespace vigia::rules
