#pragma once
// The quantization report drawn as a self-contained SVG: model size against perplexity (with
// error bars and KL-divergence in the labels) on the left, prompt and generation speed bars
// on the right.
#include <string>
#include <vector>

#include "tools/quant_report.h"

namespace hearth::tools {

std::string report_svg(const QuantReport& r);

// Round axis ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about
// `target` of them. Exposed for tests.
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace hearth::tools
