#pragma once
// Temperature: logits / t. t <= 0 is greedy: only the most likely token is kept.
#include "sampling/candidates.h"

namespace hearth::sampling {

void apply_temperature(Candidates& c, float t);

}  // namespace hearth::sampling
