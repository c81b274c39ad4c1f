#pragma once
// What the CPU (and OS, via XCR0) supports; kernels are chosen from this at run time.
#include <string>

namespace hearth {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool avx_vnni = false;
  bool amx_tile = false;
  bool amx_int8 = false;
  bool amx_bf16 = false;

  bool has_avx2_set() const { return avx2 && fma && f16c; }
  bool has_avx512_set() const {
    return has_avx2_set() && avx512f && avx512bw && avx512vl && avx512dq && avx512vnni;
  }
  std::string describe() const;
};

// Detected once per call; cheap enough (a few cpuid instructions) that callers cache it.
CpuFeatures detect_cpu_features();

// Number of physical cores available to this process (falls back to logical CPUs).
int physical_core_count();

}  // namespace hearth
