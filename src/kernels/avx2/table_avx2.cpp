#include "kernels/kernels.h"

namespace hearth::kernels {

// AVX2 kernels override the scalar entries they implement.
KernelTable make_avx2_table() {
  KernelTable t = make_scalar_table();
  t.isa = Isa::Avx2;
  return t;
}

}  // namespace hearth::kernels
