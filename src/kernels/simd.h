#pragma once
// <immintrin.h> for the SIMD kernel files. GCC 12 reports its own _mm512_undefined_*()
// helpers as uninitialized after inlining (a known false positive); silence just that.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
