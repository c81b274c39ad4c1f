#include "sampling/dist.h"

#include "core/error.h"

namespace hearth::sampling {

size_t draw(Candidates& c, Rng& rng) {
  HEARTH_CHECK(!c.empty(), "draw from an empty candidate set");
  c.softmax();
  double total = 0.0;
  for (const auto& t : c.items()) total += t.p;
  double r = rng.uniform() * total;
  for (size_t i = 0; i < c.size(); ++i) {
    r -= c[i].p;
    if (r < 0.0) return i;
  }
  // r can stay >= 0 only through rounding: the last token with any mass.
  for (size_t i = c.size(); i-- > 0;)
    if (c[i].p > 0.0f) return i;
  return 0;
}

}  // namespace hearth::sampling
