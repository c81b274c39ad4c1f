#pragma once
// GBNF expressions for JSON numbers within bounds, as JSON-schema minimum/maximum need them.
// Integers: exact, for any bounds within ±1e18. Numbers with a fraction: exact for integral
// bounds (x in [lo, hi] means the integer part is in range and, at the upper end of the
// magnitude, the fraction is all zeros); no exponent is produced when a bound is set.
#include <cstdint>
#include <optional>
#include <string>

namespace hearth::sampling::grammar {

constexpr int64_t kMaxBound = 1000000000000000000;  // 1e18

// Decimal integers in [lo, hi] (either side open), without leading zeros.
std::string integer_range_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi);
// Decimal numbers with an optional fraction ("." then 1 to 16 digits) in [lo, hi].
std::string number_range_gbnf(std::optional<int64_t> lo, std::optional<int64_t> hi);

}  // namespace hearth::sampling::grammar
