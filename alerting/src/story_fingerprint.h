// Story fingerprints over an item's title and lead: a 64-bit SimHash, where a copy of the same
// text (a syndicated wire story, a re-post) lands a few bits apart while unrelated items land
// ~32 apart, and the set of content-word hashes, whose Jaccard similarity recognises the same
// event rewritten by another outlet (SimHash over ~25 words is too noisy for that: rewrites
// measured 6-24 bits apart, different stories from 16 bits up).
//
// Text is normalised the same way for every item (lower case, accents stripped, punctuation
// removed), common Spanish and English function words are dropped, and the remaining words are
// the features. Title words weigh more than lead words in the SimHash, since headlines name the
// event. Each feature is hashed with
// FNV-1a plus a SplitMix64 finaliser: pure arithmetic, so the same text gives the same
// fingerprint on every machine and release (fingerprints are persisted in the state database).
//
// Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigia::alerting {

// Lower case, marks stripped (NFKD), every character that is not a letter or a digit turned into
// a space, runs of spaces collapsed, no leading or trailing space. "¡Explosión en PEMEX!" gives
// "explosion en pemex". Invalid UTF-8 bytes count as separators.
std::string normalise_for_similarity(std::string_view text);

// The words a fingerprint is made of: normalised, function words dropped, and a trailing plural
// "s" removed from longer words (muertos/muerto, workers/worker).
std::vector<std::string> content_words(std::string_view text);

// At most `max_bytes` of `text`, cut back to the last whole word (and never inside a UTF-8
// sequence): the lead of a summary.
std::string_view lead_of(std::string_view text, std::size_t max_bytes);

struct Fingerprint {
  std::uint64_t bits = 0;
  std::size_t features = 0;  // how many features went in; too few and the bits mean little
  std::vector<std::uint64_t> words;  // sorted, distinct hashes of the content words
};

Fingerprint story_fingerprint(std::string_view title, std::string_view lead);

// |a ∩ b| / |a ∪ b| over sorted distinct hashes; 0 when either is empty.
double word_jaccard(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b);

inline int hamming_distance(std::uint64_t a, std::uint64_t b) { return __builtin_popcountll(a ^ b); }

}  // namespace vigia::alerting
