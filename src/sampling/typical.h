#pragma once
// Locally typical sampling (Meister et al. 2022): rank tokens by how far their surprise
// -ln p is from the entropy of the distribution and keep the closest ones until their
// probabilities sum to at least p (at least one token). p >= 1 is off. The result is sorted
// by logit again, so later steps see the usual order.
#include "sampling/candidates.h"

namespace hearth::sampling {

void apply_typical(Candidates& c, float p);

}  // namespace hearth::sampling
