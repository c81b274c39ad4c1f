#pragma once
// Text -> id lookup for vocabularies (150k+ entries, hit on every merge candidate): an
// open-addressing table that stores the full hash of each key and keeps the key bytes in its
// own arena, so it can be copied and moved freely and never rehashes a string on lookup.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::tokenizer {

class TextIndex {
 public:
  TextIndex() = default;
  explicit TextIndex(size_t expected) { reserve(expected); }

  void reserve(size_t n);
  // Maps `text` to `id` (id >= 0), replacing the id of an existing entry.
  void set(std::string_view text, int32_t id);
  // The id of `text`, or -1.
  int32_t find(std::string_view text) const;
  size_t size() const { return used_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0;  // key bytes in arena_
    uint32_t length = 0;
    int32_t id = -1;  // -1: empty slot
  };
  static uint64_t hash_of(std::string_view s);
  size_t probe(std::string_view text, uint64_t h) const;  // slot holding `text`, or the empty slot to use
  void rehash(size_t capacity);

  std::vector<Slot> slots_;  // capacity is a power of two
  std::string arena_;
  size_t used_ = 0;
};

}  // namespace hearth::tokenizer
