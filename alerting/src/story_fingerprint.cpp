#include "story_fingerprint.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <utf8proc.h>

#include "vigia/core/unicode_fold.h"

namespace vigia::alerting {
namespace {

// Headline weight against lead weight: a headline is short and names the event, while a lead
// also carries attribution and background that differs between outlets.
constexpr int kTitleWeight = 3;
constexpr int kLeadWeight = 1;

bool is_ascii_alnum(char32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

void append_utf8(std::string& out, char32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

void append_separator(std::string& out) {
  if (!out.empty() && out.back() != ' ') out.push_back(' ');
}

void append_folded(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    if (is_ascii_alnum(cp)) {
      out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    } else {
      append_separator(out);
    }
    return;
  }
  thread_local std::vector<FoldedPiece> pieces;
  pieces.clear();
  if (!fold_code_point_pieces(cp, /*case_fold=*/true, pieces)) {
    append_separator(out);
    return;
  }
  for (const auto& [c, cls] : pieces) {
    if (cls == PieceClass::kAscii && is_ascii_alnum(c)) {
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    } else if (cls == PieceClass::kWord) {
      append_utf8(out, c);
    } else {
      append_separator(out);
    }
  }
}

// Function words and reporting boilerplate ("informó la empresa", "the company said"): they
// appear in every story, so keeping them pulls unrelated items together.
const std::unordered_set<std::string_view>& stop_words() {
  static const std::unordered_set<std::string_view> words = {
      // Spanish (already folded: no accents)
      "a", "al", "ante", "bajo", "con", "contra", "de", "del", "desde", "durante", "en", "entre", "hacia", "hasta",
      "para", "por", "segun", "sin", "sobre", "tras", "el", "la", "los", "las", "lo", "un", "una", "unos", "unas",
      "y", "e", "o", "u", "ni", "que", "se", "su", "sus", "es", "son", "fue", "fueron", "ha", "han", "habia", "como",
      "mas", "pero", "este", "esta", "estos", "estas", "ese", "esa", "esos", "esas", "le", "les", "ya", "muy",
      "tambien", "cuando", "donde", "no", "si", "ser", "sera", "hay", "otro", "otra", "otros", "otras",
      "informo", "informaron", "dijo", "dijeron", "acuerdo", "mediante", "cual", "cuales", "quien", "quienes",
      // English
      "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "from", "by", "with", "as", "is", "are", "was",
      "were", "be", "been", "has", "have", "had", "it", "its", "that", "this", "these", "those", "after", "before",
      "over", "into", "than", "but", "not", "said", "says", "say", "told", "according", "he", "she", "they",
      "their", "his", "her", "will", "would", "can", "could", "about", "amid", "who", "which", "while", "also"};
  return words;
}

// Small numbers are written both ways ("tres muertos", "3 muertos").
const std::unordered_map<std::string_view, std::string_view>& number_words() {
  static const std::unordered_map<std::string_view, std::string_view> words = {
      {"dos", "2"},    {"tres", "3"},  {"cuatro", "4"}, {"cinco", "5"}, {"seis", "6"},  {"siete", "7"},
      {"ocho", "8"},   {"nueve", "9"}, {"diez", "10"},  {"two", "2"},   {"three", "3"}, {"four", "4"},
      {"five", "5"},   {"six", "6"},   {"seven", "7"},  {"eight", "8"}, {"nine", "9"},  {"ten", "10"}};
  return words;
}

std::uint64_t feature_hash(std::string_view word) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  auto mix_in = [&h](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  };
  mix_in(word);
  // SplitMix64 finaliser: FNV alone leaves the high bits of short keys poorly mixed, and SimHash
  // needs every bit to be a fair coin.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

// Single words only: measured on rewritten headlines (tests/unit/alerting/test_story_grouper.cpp),
// adding 2-word shingles moved same-story pairs further apart (outlets reorder phrases) and
// brought a templated different-story pair closer, so they cost recall without buying precision.
void add_features(Fingerprint& fp, std::array<std::int64_t, 64>& acc, const std::vector<std::string>& words,
                  int weight) {
  for (const auto& word : words) {
    const std::uint64_t h = feature_hash(word);
    for (int bit = 0; bit < 64; ++bit) acc[bit] += ((h >> bit) & 1U) ? weight : -weight;
    fp.words.push_back(h);
    ++fp.features;
  }
}

}  // namespace

std::string normalise_for_similarity(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(p, remaining, &cp);
    if (n <= 0) {  // invalid byte: a separator, then resynchronise on the next byte
      append_separator(out);
      n = 1;
    } else {
      append_folded(out, static_cast<char32_t>(cp));
    }
    p += n;
    remaining -= n;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::string> content_words(std::string_view text) {
  const std::string folded = normalise_for_similarity(text);
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (pos < folded.size()) {
    auto end = folded.find(' ', pos);
    if (end == std::string::npos) end = folded.size();
    std::string_view word(folded.data() + pos, end - pos);
    pos = end + 1;
    if (word.size() < 2 && !(word[0] >= '0' && word[0] <= '9')) continue;  // "s" of "Mexico's", stray letters
    if (stop_words().contains(word)) continue;
    if (auto it = number_words().find(word); it != number_words().end()) word = it->second;
    if (word.size() > 4 && word.back() == 's' && word[word.size() - 2] != 's') word.remove_suffix(1);
    words.emplace_back(word);
  }
  return words;
}

std::string_view lead_of(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back off to a code point boundary (never cut a continuation byte 10xxxxxx), then to a space.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  const auto space = text.rfind(' ', end);
  if (space != std::string_view::npos && space > 0) end = space;
  return text.substr(0, end);
}

Fingerprint story_fingerprint(std::string_view title, std::string_view lead) {
  std::array<std::int64_t, 64> acc{};
  Fingerprint fp;
  add_features(fp, acc, content_words(title), kTitleWeight);
  add_features(fp, acc, content_words(lead), kLeadWeight);
  std::sort(fp.words.begin(), fp.words.end());
  fp.words.erase(std::unique(fp.words.begin(), fp.words.end()), fp.words.end());
  for (int bit = 0; bit < 64; ++bit) {
    if (acc[bit] > 0) fp.bits |= std::uint64_t{1} << bit;
  }
  return fp;
}


double word_jaccard(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  if (a.empty() || b.empty()) return 0;
  std::size_t common = 0;
  for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common, ++i, ++j;
    }
  }
  return static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
}

}  // namespace vigia::alerting
