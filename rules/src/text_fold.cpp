#include "vigia/rules/text_fold.h"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <utf8proc.h>

#include "vigia/core/unicode_fold.h"

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
  thread_local std::vector<FoldedPiece> pieces;
  pieces.clear();
  if (!fold_code_point_pieces(cp, !keep_case, pieces)) return " ";
  std::string out;
  for (const auto& [c, cls] : pieces) {
    switch (cls) {
      case PieceClass::kAscii:
        out.push_back(static_cast<char>(!keep_case && c >= 'A' && c <= 'Z' ? c + 32 : c));
        break;
      case PieceClass::kWord:
        append_utf8(out, c);
        break;
      case PieceClass::kDash:
        out.push_back('-');
        break;
      case PieceClass::kQuote:
        out.push_back('"');
        break;
      case PieceClass::kOther:
        // Other punctuation, symbols and separators become a space: a word boundary that
        // patterns can rely on, whatever typography the outlet used.
        out.push_back(' ');
        break;
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

// How many bytes from s[0] fold byte for byte: visible ASCII, and single spaces that do not follow
// a blank (`after_blank`: the byte before s[0] was one). Sixteen bytes at a time where SSE2 is
// there: a Spanish text has an accent every few dozen bytes, an English one hardly any.
std::size_t simple_run(const unsigned char* s, std::size_t n, bool after_blank) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(' ');
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const auto spaces = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, space)));
    // A signed compare: bytes of 0x80 and up are negative, so control bytes and non-ASCII alike.
    const auto low = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmplt_epi8(v, space)));
    const unsigned doubled = spaces & ((spaces << 1) | (after_blank ? 1u : 0u));
    if (const unsigned bad = (low | doubled) & 0xFFFFu; bad != 0) {
      return i + static_cast<std::size_t>(__builtin_ctz(bad));
    }
    after_blank = (spaces >> 15) != 0;
    i += 16;
  }
#endif
  for (; i < n; ++i) {
    const unsigned char c = s[i];
    if (c == ' ') {
      if (after_blank) break;
      after_blank = true;
    } else if (c < ' ' || c >= 0x80) {
      break;
    } else {
      after_blank = false;
    }
  }
  return i;
}

// out[k] = in[k], lower-cased unless `keep_case`, for ASCII input.
void copy_ascii(const unsigned char* in, std::size_t n, char* out, bool keep_case) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i before_a = _mm_set1_epi8('A' - 1);
  const __m128i after_z = _mm_set1_epi8('Z' + 1);
  const __m128i to_lower = _mm_set1_epi8(32);
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    if (!keep_case) {
      const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, before_a), _mm_cmplt_epi8(v, after_z));
      v = _mm_add_epi8(v, _mm_and_si128(upper, to_lower));
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), v);
  }
#endif
  for (; i < n; ++i) {
    const unsigned char c = in[i];
    out[i] = static_cast<char>(!keep_case && c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
}

// origin[k] = from + k.
void fill_origin(std::uint32_t* origin, std::size_t n, std::uint32_t from) {
  std::size_t i = 0;
#if defined(__SSE2__)
  __m128i next = _mm_add_epi32(_mm_set1_epi32(static_cast<int>(from)), _mm_setr_epi32(0, 1, 2, 3));
  const __m128i four = _mm_set1_epi32(4);
  for (; i + 4 <= n; i += 4) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(origin + i), next);
    next = _mm_add_epi32(next, four);
  }
#endif
  for (; i < n; ++i) origin[i] = from + static_cast<std::uint32_t>(i);
}

// Folds the start of `in` into `out` byte for byte — ASCII with no whitespace to collapse or
// translate, most English text — and returns how far it got: in.size() when all of it did, else
// the offset of the first byte that needs the general path. out[0, that offset) is then the
// folded prefix, and the general path carries on from there rather than starting over.
std::size_t fold_in_place(std::string_view in, std::string& out, bool keep_case) {
  out.resize(in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t done = simple_run(s, in.size(), false);
  copy_ascii(s, done, out.data(), keep_case);
  return done;
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
      : out_(out), origin_(origin), keep_case_(keep_case) {}

  // Folds in[start, end) after out_[0, start), which must already hold the fold of in[0, start)
  // byte for byte (what fold_in_place() leaves).
  void run(std::string_view in, std::size_t start = 0) {
    const std::size_t n = in.size();
    const auto* s = reinterpret_cast<const unsigned char*>(in.data());
    size_ = start;
    last_blank_ = start > 0 && (out_[start - 1] == ' ' || out_[start - 1] == '\n');
    // Invariant from here on: room for every byte still to read as one ASCII byte, so the ASCII
    // paths below never check; a wider fold of a non-ASCII code point re-establishes it.
    reserve(n - start + 16);
    if constexpr (kTrackOrigin) {
      for (std::size_t k = 0; k < start; ++k) (*origin_)[k] = static_cast<std::uint32_t>(k);
    }
    std::size_t i = start;
    while (i < n) {
      const unsigned char b = s[i];
      if (b < 0x80) {
        if (b > ' ' || (b == ' ' && !last_blank_)) {
          // Most of any news text: a run of visible ASCII and single spaces, copied in bulk.
          const std::size_t len = simple_run(s + i, n - i, last_blank_);
          copy_ascii(s + i, len, out_.data() + size_, keep_case_);
          if constexpr (kTrackOrigin) fill_origin(origin_->data() + size_, len, static_cast<std::uint32_t>(i));
          size_ += len;
          i += len;
          last_blank_ = s[i - 1] == ' ';
          continue;
        }
        if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v') {
          blank(b != ' ' && b != '\t', i);
        } else {
          put(static_cast<char>(b), i);  // a control byte: kept, as case does not apply
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
      if (cp == kCombiningTilde) {
        // An 'n' followed by a combining tilde is an ñ written decomposed (NFD sources): the 'n'
        // just written becomes the ñ. Any other combining tilde is a mark, stripped.
        if (i > 0 && (s[i - 1] | 0x20) == 'n' && size_ > 0) {
          const std::uint32_t at = origin_at(size_ - 1);
          out_[size_ - 1] = '\xC3';
          reserve(1 + (n - i) + 16);
          put(keep_case_ && s[i - 1] == 'N' ? '\x91' : '\xB1', at);
        }
      } else {
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
  std::uint32_t origin_at(std::size_t k) const {
    if constexpr (kTrackOrigin) return (*origin_)[k];
    return 0;
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
  out.origin.clear();
  out.original_size = in.size();
  const std::size_t done = fold_in_place(in, out.text, keep_case);
  if (done == in.size()) return;  // no origin map: every byte is where it was
  Folder<true>(out.text, &out.origin, keep_case).run(in, done);
}

std::string fold(std::string_view in, FoldCase fold_case) {
  std::string out;
  Folder<false>(out, nullptr, fold_case == FoldCase::kKeep).run(in);
  return out;
}

}  // namespace vigia::rules
