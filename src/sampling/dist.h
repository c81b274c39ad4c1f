#pragma once
// The final draw: one token from the candidates' softmax, using the seeded generator. The
// walk follows the set's current order, which every step keeps deterministic.
#include <cstddef>

#include "sampling/candidates.h"
#include "sampling/rng.h"

namespace hearth::sampling {

// Fills p (softmax) and returns the index of the drawn entry. The set must not be empty.
size_t draw(Candidates& c, Rng& rng);

}  // namespace hearth::sampling
