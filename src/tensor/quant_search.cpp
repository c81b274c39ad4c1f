// Scale searches shared by the reference quantizers (spec §4.8). Products are written in the
// spec's left-to-right order (w*x*l is (w*x)*l) and sums run in index order: each rounding
// is part of the contract.
#include "tensor/quant_search.h"

#include <algorithm>
#include <cmath>

#include "tensor/blocks.h"

namespace hearth::tensor::detail {

float sym_search(int n, int nmax, const float* x, uint8_t* L, const float* w) {
  const MaxAbs ma = argmaxabs(x, n);
  if (ma.amax < kGroupMaxEps) {
    std::fill(L, L + n, uint8_t{0});
    return 0.0f;
  }
  const auto weight = [&](int i) { return w ? w[i] : x[i] * x[i]; };
  const auto code = [&](float is, int i) { return std::clamp(nearest_int(is * x[i]), -nmax, nmax - 1); };

  float is = static_cast<float>(-nmax) / ma.mx;
  float sumlx = 0.0f, sumll = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = code(is, i);
    L[i] = static_cast<uint8_t>(l + nmax);
    const float wi = weight(i);
    sumlx += wi * x[i] * static_cast<float>(l);
    sumll += wi * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = sumll != 0.0f ? sumlx / sumll : 0.0f;
  float best = scale * sumlx;
  for (int t = -9; t <= 9; ++t) {
    if (t == 0) continue;
    is = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(t)) / ma.mx;
    float a = 0.0f, c = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float l = static_cast<float>(code(is, i));
      const float wi = weight(i);
      a += wi * x[i] * l;
      c += wi * l * l;
    }
    if (c > 0.0f && a * a > best * c) {
      for (int i = 0; i < n; ++i) L[i] = static_cast<uint8_t>(code(is, i) + nmax);
      scale = a / c;
      best = scale * a;
    }
  }
  return scale;
}

float q3_search(int n, int nmax, const float* x, int8_t* L) {
  const MaxAbs ma = argmaxabs(x, n);
  if (ma.amax < kGroupMaxEps) {
    std::fill(L, L + n, int8_t{0});
    return 0.0f;
  }
  const float is = static_cast<float>(-nmax) / ma.mx;
  float sumlx = 0.0f, sumll = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(is * x[i]), -nmax, nmax - 1);
    L[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    sumll += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int iter = 0; iter < 5; ++iter) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      const float li = static_cast<float>(L[i]);
      float a = sumlx - w * x[i] * li;
      if (a > 0.0f) {
        float c = sumll - w * li * li;
        const int nl = std::clamp(nearest_int(x[i] * c / a), -nmax, nmax - 1);
        if (nl != L[i]) {
          const float fl = static_cast<float>(nl);
          a += w * x[i] * fl;
          c += w * fl * fl;
          if (c > 0.0f && a * a * sumll > sumlx * sumlx * c) {
            L[i] = static_cast<int8_t>(nl);
            sumlx = a;
            sumll = c;
            ++changed;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(L[i] + nmax);
  return sumll > 0.0f ? sumlx / sumll : 0.0f;
}

float affine_search(int n, int nmax, const float* x, const float* w, uint8_t* L, float* negmin, uint8_t* Laux,
                    const AffineParams& p) {
  float mn = x[0], mx = x[0];
  float sw = w[0];
  float sx = sw * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < mn) mn = x[i];
    if (x[i] > mx) mx = x[i];
    sw += w[i];
    sx += w[i] * x[i];
  }
  if (mn > 0.0f) mn = 0.0f;
  if (mx == mn) {
    std::fill(L, L + n, uint8_t{0});
    *negmin = -mn;
    return 0.0f;
  }
  const auto err = [&](float e) { return p.use_abs ? std::fabs(e) : e * e; };

  float is = static_cast<float>(nmax) / (mx - mn);
  float scale = 1.0f / is;
  float best = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(is * (x[i] - mn)), 0, nmax);
    L[i] = static_cast<uint8_t>(l);
    const float e = scale * static_cast<float>(l) + mn - x[i];
    best += w[i] * err(e);
  }
  for (int s = 0; s <= p.nstep; ++s) {
    // mn is the running offset: once a trial is accepted its fitted tm replaces it (spec subtlety).
    is = (p.rmin + p.rdelta * static_cast<float>(s) + static_cast<float>(nmax)) / (mx - mn);
    float sl = 0.0f, sl2 = 0.0f, sxl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(is * (x[i] - mn)), 0, nmax);
      Laux[i] = static_cast<uint8_t>(l);
      const float fl = static_cast<float>(l);
      sl += w[i] * fl;
      sl2 += w[i] * fl * fl;
      sxl += w[i] * fl * x[i];
    }
    const float D = sw * sl2 - sl * sl;
    if (D > 0.0f) {
      float ts = (sw * sxl - sx * sl) / D;
      float tm = (sl2 * sx - sl * sxl) / D;
      if (tm > 0.0f) {
        tm = 0.0f;
        ts = sxl / sl2;
      }
      float e_tot = 0.0f;
      for (int i = 0; i < n; ++i) {
        const float e = ts * static_cast<float>(Laux[i]) + tm - x[i];
        e_tot += w[i] * err(e);
      }
      if (e_tot < best) {
        std::copy(Laux, Laux + n, L);
        best = e_tot;
        scale = ts;
        mn = tm;
      }
    }
  }
  *negmin = -mn;
  return scale;
}

int nearest_iq4nl(float v) {
  const int8_t* K = kValuesIq4nl;
  if (v <= static_cast<float>(K[0])) return 0;
  if (v >= static_cast<float>(K[15])) return 15;
  int lo = 0, hi = 15;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (v < static_cast<float>(K[mid]))
      hi = mid;
    else
      lo = mid;
  }
  return v - static_cast<float>(K[lo]) < static_cast<float>(K[hi]) - v ? lo : hi;
}

}  // namespace hearth::tensor::detail
