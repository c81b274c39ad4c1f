#pragma once
// Min-p: keep the tokens whose probability is at least p times the most likely one's
// (logit >= max_logit + ln p). p <= 0 is off. Keeps the order.
#include "sampling/candidates.h"

namespace hearth::sampling {

void apply_min_p(Candidates& c, float p);

}  // namespace hearth::sampling
