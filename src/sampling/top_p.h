#pragma once
// Top-p (nucleus): keep the smallest set of most likely tokens whose probabilities sum to at
// least p (at least one token). p >= 1 is off. The result is sorted with p filled in
// (renormalised over what is kept).
#include "sampling/candidates.h"

namespace hearth::sampling {

void apply_top_p(Candidates& c, float p);

}  // namespace hearth::sampling
