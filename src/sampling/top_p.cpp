#include "sampling/top_p.h"

#include <algorithm>

namespace hearth::sampling {

void apply_top_p(Candidates& c, float p) {
  if (p >= 1.0f || c.empty()) return;
  c.softmax();
  // A nucleus is usually small next to a 32k+ vocabulary: sort a head of the set and grow it
  // only while the cumulative mass stays below p.
  size_t head = std::min<size_t>(c.size(), 256);
  double cum = 0.0;
  size_t i = 0;
  for (;;) {
    c.sort_head(head);
    for (; i < head; ++i) {
      cum += c[i].p;
      if (cum >= p) {
        c.truncate(i + 1);
        c.softmax();
        return;
      }
    }
    if (head == c.size()) return;  // rounding left the total just under p: keep everything
    head = std::min(c.size(), head * 4);
  }
}

}  // namespace hearth::sampling
