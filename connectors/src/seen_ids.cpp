#include "vigia/connectors/seen_ids.h"

#include <string>

#include "vigia/core/hash.h"

namespace vigia::connectors {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex128(std::string_view hex, std::uint64_t& hi, std::uint64_t& lo) {
  if (hex.size() != 32) return false;
  hi = lo = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const int v = hex_value(hex[i]);
    if (v < 0) return false;
    std::uint64_t& half = i < 16 ? hi : lo;
    half = (half << 4) | static_cast<std::uint64_t>(v);
  }
  return true;
}

}  // namespace

SeenIds::SeenIds(std::size_t capacity) : capacity_(capacity) {}

SeenIds::Key SeenIds::key_of(std::string_view id) {
  Key k;
  if (!parse_hex128(id, k.hi, k.lo)) parse_hex128(stable_id(id), k.hi, k.lo);
  return k;
}

bool SeenIds::insert(std::string_view id) {
  if (capacity_ == 0) return true;
  const Key k = key_of(id);
  std::lock_guard lock(mu_);
  if (seq_of_.count(k) != 0) return false;
  const std::uint64_t seq = next_seq_++;
  seq_of_.emplace(k, seq);
  order_.emplace_back(k, seq);
  while (seq_of_.size() > capacity_ && !order_.empty()) {
    const auto [old, old_seq] = order_.front();
    order_.pop_front();
    if (auto it = seq_of_.find(old); it != seq_of_.end() && it->second == old_seq) seq_of_.erase(it);
  }
  // Forgotten ids leave stale entries behind; sweep them before they outnumber the live ones.
  if (order_.size() > 2 * capacity_ + 64) {
    std::deque<std::pair<Key, std::uint64_t>> live;
    for (const auto& entry : order_) {
      if (auto it = seq_of_.find(entry.first); it != seq_of_.end() && it->second == entry.second) live.push_back(entry);
    }
    order_.swap(live);
  }
  return true;
}

void SeenIds::forget(std::string_view id) {
  const Key k = key_of(id);
  std::lock_guard lock(mu_);
  seq_of_.erase(k);
}

bool SeenIds::contains(std::string_view id) const {
  const Key k = key_of(id);
  std::lock_guard lock(mu_);
  return seq_of_.count(k) != 0;
}

std::size_t SeenIds::size() const {
  std::lock_guard lock(mu_);
  return seq_of_.size();
}

}  // namespace vigia::connectors
