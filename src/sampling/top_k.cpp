#include "sampling/top_k.h"

namespace hearth::sampling {

void apply_top_k(Candidates& c, int32_t k) {
  if (k <= 0) return;
  c.keep_top(static_cast<size_t>(k));
}

}  // namespace hearth::sampling
