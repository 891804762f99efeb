// SeenIds: the bounded memory of item ids the ingest stage already published, so that an item a
// feed repeats on every poll goes onto the bus once. Holds at most `capacity` ids and forgets the
// oldest first (FIFO by first sighting): a feed window is far smaller than the capacity, so an
// item that falls out has long left its feed too.
//
// Ids are kept as 128-bit keys: a 32-hex-digit id (vigia::stable_id) is decoded as is, any other
// string is hashed with stable_id first, so memory stays ~50 bytes per id whatever ids look like.
//
// Thread-safety: all member functions may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace vigia::connectors {

class SeenIds {
 public:
  explicit SeenIds(std::size_t capacity);

  // Remembers `id`; true when it was not remembered yet. May forget the oldest id.
  bool insert(std::string_view id);
  // Forgets `id` (e.g. its publication failed, so a later poll may offer it again).
  void forget(std::string_view id);
  bool contains(std::string_view id) const;
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Key {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return static_cast<std::size_t>(k.hi ^ (k.lo * 0x9E3779B97F4A7C15ull)); }
  };
  static Key key_of(std::string_view id);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  // key -> the sequence number of its live entry in order_; entries in order_ whose sequence no
  // longer matches were forgotten (or re-inserted) and are skipped when evicting.
  std::unordered_map<Key, std::uint64_t, KeyHash> seq_of_;
  std::deque<std::pair<Key, std::uint64_t>> order_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace vigia::connectors
