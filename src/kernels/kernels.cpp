#include "kernels/kernels.h"

#include "core/error.h"

namespace hearth::kernels {

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "unknown";
}

std::vector<Isa> supported_isas(const CpuFeatures& cpu) {
  std::vector<Isa> out{Isa::Scalar};
  if (cpu.has_avx2_set()) out.push_back(Isa::Avx2);
  if (cpu.has_avx512_set()) out.push_back(Isa::Avx512);
  return out;
}

Isa best_isa(const CpuFeatures& cpu) { return supported_isas(cpu).back(); }

const KernelTable& kernel_table(Isa isa) {
  // Built once on first use and never modified: immutable shared tables, not mutable state.
  static const KernelTable scalar = make_scalar_table();
  static const KernelTable avx2 = make_avx2_table();
  static const KernelTable avx512 = make_avx512_table();
  switch (isa) {
    case Isa::Scalar: return scalar;
    case Isa::Avx2: return avx2;
    case Isa::Avx512: return avx512;
  }
  HEARTH_CHECK(false, "unknown isa");
}

}  // namespace hearth::kernels
