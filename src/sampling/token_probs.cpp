#include "sampling/token_probs.h"

#include <algorithm>
#include <cmath>

namespace hearth::sampling {

namespace {
// Best first: higher value, then lower id.
bool better(const TokenProb& a, const TokenProb& b) { return a.p > b.p || (a.p == b.p && a.id < b.id); }

// The n best of (id, value) pairs produced by `at(i)` for i < count, best first.
template <typename At>
std::vector<TokenProb> top_n(size_t count, size_t n, At at) {
  std::vector<TokenProb> heap;  // min-heap on `better`: the worst kept entry at the front
  n = std::min(n, count);
  if (n == 0) return heap;
  heap.reserve(n + 1);
  for (size_t i = 0; i < count; ++i) {
    const TokenProb t = at(i);
    if (heap.size() < n) {
      heap.push_back(t);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(t, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = t;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}
}  // namespace

void describe_model(std::span<const float> logits, int32_t id, size_t n, TokenProbs& out) {
  if (logits.empty()) return;
  double mx = -INFINITY;
  for (float l : logits) mx = std::max(mx, static_cast<double>(l));
  // H = ln S - sum e_i (l_i - mx) / S with e_i = exp(l_i - mx), S = sum e_i.
  double s = 0.0, weighted = 0.0;
  for (float l : logits) {
    const double d = static_cast<double>(l) - mx;
    const double e = std::exp(d);
    s += e;
    if (e > 0.0) weighted += e * d;
  }
  out.entropy_model = static_cast<float>(std::log(s) - weighted / s);
  if (id >= 0 && static_cast<size_t>(id) < logits.size())
    out.p_model = static_cast<float>(std::exp(static_cast<double>(logits[static_cast<size_t>(id)]) - mx) / s);
  out.top_model = top_n(logits.size(), n, [&](size_t i) { return TokenProb{static_cast<int32_t>(i), logits[i]}; });
  for (auto& t : out.top_model) t.p = static_cast<float>(std::exp(static_cast<double>(t.p) - mx) / s);
}

void describe_final(const Candidates& c, size_t chosen, size_t n, TokenProbs& out) {
  if (c.empty()) return;
  out.id = c[chosen].id;
  out.p = c[chosen].p;
  double h = 0.0;
  for (const auto& t : c.items())
    if (t.p > 0.0f) h -= static_cast<double>(t.p) * std::log(static_cast<double>(t.p));
  out.entropy = static_cast<float>(std::max(h, 0.0));
  out.top = top_n(c.size(), n, [&](size_t i) { return TokenProb{c[i].id, c[i].p}; });
}

}  // namespace hearth::sampling
