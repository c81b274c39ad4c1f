#include "tokenizer/text_index.h"

#include <bit>
#include <cstring>
#include <functional>

#include "core/error.h"

namespace hearth::tokenizer {

uint64_t TextIndex::hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }

void TextIndex::reserve(size_t n) {
  const size_t want = std::bit_ceil(n + n / 2 + 16);  // load factor <= 2/3
  if (want > slots_.size()) rehash(want);
}

size_t TextIndex::probe(std::string_view text, uint64_t h) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = static_cast<size_t>(h) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return i;
    if (s.hash == h && s.length == text.size() && std::memcmp(arena_.data() + s.offset, text.data(), text.size()) == 0)
      return i;
  }
}

void TextIndex::rehash(size_t capacity) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(capacity, Slot{});
  const size_t mask = capacity - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t i = static_cast<size_t>(s.hash) & mask;
    while (slots_[i].id >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void TextIndex::set(std::string_view text, int32_t id) {
  HEARTH_CHECK(id >= 0, "negative id");
  if ((used_ + 1) * 3 > slots_.size() * 2) rehash(std::max<size_t>(16, slots_.size() * 2));
  const uint64_t h = hash_of(text);
  Slot& s = slots_[probe(text, h)];
  if (s.id >= 0) {
    s.id = id;
    return;
  }
  HEARTH_CHECK(arena_.size() + text.size() <= UINT32_MAX, "vocabulary text exceeds 4 GiB");
  s = Slot{h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(text.size()), id};
  arena_.append(text);
  ++used_;
}

int32_t TextIndex::find(std::string_view text) const {
  if (slots_.empty()) return -1;
  return slots_[probe(text, hash_of(text))].id;
}

}  // namespace hearth::tokenizer
