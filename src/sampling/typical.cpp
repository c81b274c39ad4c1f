#include "sampling/typical.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hearth::sampling {

void apply_typical(Candidates& c, float p) {
  if (p >= 1.0f || c.size() <= 1) return;
  c.softmax();
  double entropy = 0.0;
  for (const auto& t : c.items())
    if (t.p > 0.0f) entropy -= static_cast<double>(t.p) * std::log(static_cast<double>(t.p));

  struct Scored {
    double shift;  // |-ln p - H|
    TokenData t;
  };
  std::vector<Scored> scored;
  scored.reserve(c.size());
  for (const auto& t : c.items()) {
    const double surprise = t.p > 0.0f ? -std::log(static_cast<double>(t.p)) : INFINITY;
    scored.push_back({std::abs(surprise - entropy), t});
  }
  std::sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    return a.shift < b.shift || (a.shift == b.shift && ranks_before(a.t, b.t));
  });
  double cum = 0.0;
  size_t keep = scored.size();
  for (size_t i = 0; i < scored.size(); ++i) {
    cum += scored[i].t.p;
    if (cum >= p) {
      keep = i + 1;
      break;
    }
  }
  auto items = c.items();
  for (size_t i = 0; i < keep; ++i) items[i] = scored[i].t;
  c.truncate(keep);
  c.logits_changed();
  c.sort();
  c.softmax();
}

}  // namespace hearth::sampling
