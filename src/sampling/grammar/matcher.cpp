#include "sampling/grammar/matcher.h"

#include <algorithm>

#include "core/error.h"

namespace hearth::sampling::grammar {

namespace {
uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

constexpr uint32_t kValueMask = (1u << 21) - 1;
uint32_t pack_partial(uint32_t value, uint32_t remaining, uint32_t length) {
  return value | remaining << 21 | length << 23;
}
// Smallest code point that needs `length` UTF-8 bytes (shorter forms are overlong).
uint32_t min_code_point(uint32_t length) { return length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000; }
}  // namespace

size_t GrammarMatcher::NodeHash::operator()(const Node& n) const {
  return mix((uint64_t{n.pos} << 32 | n.partial) ^ mix(n.parent));
}

size_t GrammarMatcher::VecHash::operator()(const std::vector<uint32_t>& v) const {
  uint64_t h = v.size();
  for (uint32_t x : v) h = mix(h ^ x) + 0x9e3779b97f4a7c15ull;
  return h;
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const CompiledGrammar> g) : g_(std::move(g)) { reset(); }

void GrammarMatcher::reset() {
  nodes_.clear();
  node_ids_.clear();
  set_ids_.clear();
  sets_.clear();
  trans_.clear();
  nodes_.push_back({0, 0, 0});  // id 0: the empty stack
  std::vector<uint32_t> stacks;
  resume(CompiledGrammar::kStart, 0, stacks);
  initial_ = intern_set(stacks);
}

uint32_t GrammarMatcher::intern(uint32_t pos, uint32_t partial, uint32_t parent) {
  const Node n{pos, partial, parent};
  auto [it, fresh] = node_ids_.try_emplace(n, static_cast<uint32_t>(nodes_.size()));
  if (fresh) nodes_.push_back(n);
  return it->second;
}

GrammarMatcher::StateId GrammarMatcher::intern_set(std::vector<uint32_t>& stacks) {
  if (stacks.empty()) return kDead;
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  auto [it, fresh] = set_ids_.try_emplace(stacks, static_cast<StateId>(sets_.size()));
  if (fresh) {
    const bool accepting = it->first.front() == 0;
    const bool can_continue = it->first.back() != 0;
    sets_.push_back({&it->first, accepting, can_continue});
    trans_.resize(trans_.size() + 256, kUnknown);
  }
  return it->second;
}

void GrammarMatcher::resume(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out) {
  for (;;) {
    const size_t n = g_->n_expansions(pos);
    for (size_t i = 0; i < n; ++i) {
      uint32_t tail = parent;
      for (uint32_t p : g_->expansion(pos, i)) tail = intern(p, 0, tail);
      out.push_back(tail);
    }
    if (!g_->completes(pos)) return;
    if (parent == 0) {
      out.push_back(0);  // the whole input can end here
      return;
    }
    const Node below = nodes_[parent];
    pos = below.pos;
    parent = below.parent;
  }
}

GrammarMatcher::StateId GrammarMatcher::compute_step(StateId s, uint8_t b) {
  std::vector<uint32_t> out;
  const std::vector<uint32_t>& stacks = *sets_[static_cast<size_t>(s)].stacks;
  for (size_t k = 0; k < stacks.size(); ++k) {
    const uint32_t id = stacks[k];
    if (id == 0) continue;
    const Node top = nodes_[id];  // a copy: interning below may grow nodes_
    const CompiledClass& cls = g_->char_class(g_->element(top.pos).value);
    uint32_t value, remaining, length;
    if (top.partial == 0) {
      if (b < 0x80) {
        if (cls.contains(b)) resume(top.pos + 1, top.parent, out);
        continue;
      }
      if (b >= 0xC2 && b <= 0xDF) {
        value = b & 0x1Fu, remaining = 1, length = 2;
      } else if (b >= 0xE0 && b <= 0xEF) {
        value = b & 0x0Fu, remaining = 2, length = 3;
      } else if (b >= 0xF0 && b <= 0xF4) {
        value = b & 0x07u, remaining = 3, length = 4;
      } else {
        continue;  // not a UTF-8 lead byte
      }
    } else {
      if ((b & 0xC0) != 0x80) continue;
      value = (top.partial & kValueMask) << 6 | (b & 0x3Fu);
      remaining = (top.partial >> 21 & 3u) - 1;
      length = top.partial >> 23;
      if (remaining == 0) {
        const bool valid = value >= min_code_point(length) && value <= 0x10FFFF && !(value >= 0xD800 && value <= 0xDFFF);
        if (valid && cls.contains(value)) resume(top.pos + 1, top.parent, out);
        continue;
      }
    }
    // A sequence in progress survives if some code point it could still become is in the class
    // (and is a valid scalar value: not overlong, not a surrogate, not beyond U+10FFFF).
    const uint32_t shift = 6 * remaining;
    const uint32_t lo = std::max(value << shift, min_code_point(length));
    const uint32_t hi = std::min(value << shift | ((1u << shift) - 1), 0x10FFFFu);
    auto possible = [&](uint32_t a, uint32_t b) { return a <= b && cls.intersects(a, b); };
    if (possible(lo, std::min(hi, 0xD7FFu)) || possible(std::max(lo, 0xE000u), hi))
      out.push_back(intern(top.pos, pack_partial(value, remaining, length), top.parent));
  }
  const StateId next = intern_set(out);
  trans_[static_cast<size_t>(s) * 256 + b] = next;
  return next;
}

GrammarMatcher::StateId GrammarMatcher::step(StateId s, std::string_view bytes) {
  for (char c : bytes) {
    if (s == kDead) return kDead;
    s = step(s, static_cast<uint8_t>(c));
  }
  return s;
}

GrammarMatcher::StateId GrammarMatcher::compact(StateId keep) {
  HEARTH_CHECK(keep >= 0 && static_cast<size_t>(keep) < sets_.size(), "compact of an unknown state");
  // Each kept stack as its nodes from bottom to top, then rebuilt in fresh tables.
  std::vector<std::vector<Node>> chains;
  for (uint32_t id : *sets_[static_cast<size_t>(keep)].stacks) {
    std::vector<Node> chain;
    for (uint32_t n = id; n != 0; n = nodes_[n].parent) chain.push_back(nodes_[n]);
    std::reverse(chain.begin(), chain.end());
    chains.push_back(std::move(chain));
  }
  reset();
  std::vector<uint32_t> stacks;
  for (const auto& chain : chains) {
    uint32_t tail = 0;
    for (const Node& n : chain) tail = intern(n.pos, n.partial, tail);
    stacks.push_back(tail);
  }
  return intern_set(stacks);
}

}  // namespace hearth::sampling::grammar
