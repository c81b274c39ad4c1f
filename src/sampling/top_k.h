#pragma once
// Top-k: keep the k most likely tokens. k <= 0 is off; the result is sorted.
#include <cstdint>

#include "sampling/candidates.h"

namespace hearth::sampling {

void apply_top_k(Candidates& c, int32_t k);

}  // namespace hearth::sampling
