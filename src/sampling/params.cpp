#include "sampling/params.h"

#include <cmath>

#include "core/error.h"

namespace hearth::sampling {

std::string_view step_name(Step s) {
  switch (s) {
    case Step::Penalties: return "penalties";
    case Step::TopK: return "top_k";
    case Step::Typical: return "typical_p";
    case Step::TopP: return "top_p";
    case Step::MinP: return "min_p";
    case Step::Temperature: return "temperature";
  }
  return "?";
}

namespace {
bool step_from_name(std::string_view n, Step& out) {
  struct Alias {
    std::string_view name;
    Step step;
  };
  static constexpr Alias kAliases[] = {
      {"penalties", Step::Penalties}, {"top_k", Step::TopK},       {"top-k", Step::TopK},
      {"typical_p", Step::Typical},   {"typical-p", Step::Typical}, {"typical", Step::Typical},
      {"typ_p", Step::Typical},       {"top_p", Step::TopP},       {"top-p", Step::TopP},
      {"min_p", Step::MinP},          {"min-p", Step::MinP},       {"temperature", Step::Temperature},
      {"temp", Step::Temperature},
  };
  for (const auto& a : kAliases)
    if (a.name == n) {
      out = a.step;
      return true;
    }
  return false;
}
}  // namespace

std::vector<Step> parse_steps(std::string_view list) {
  std::vector<Step> out;
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find_first_of(";,", i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view item = list.substr(i, j - i);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      Step s;
      if (!step_from_name(item, s))
        fail("unknown sampler '{}' (known: penalties, top_k, typical_p, top_p, min_p, temperature)", item);
      for (Step seen : out)
        if (seen == s) fail("sampler '{}' is listed twice", step_name(s));
      out.push_back(s);
    }
    i = j + 1;
  }
  return out;
}

std::string format_steps(const std::vector<Step>& steps) {
  std::string s;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i) s += ';';
    s += step_name(steps[i]);
  }
  return s;
}

void SamplerParams::validate() const {
  auto finite = [](float v) { return std::isfinite(v); };
  if (!finite(temperature)) fail("temperature must be a finite number");
  if (!finite(top_p) || top_p < 0.0f) fail("top_p must be >= 0 (1 or more: off), got {}", top_p);
  if (!finite(min_p) || min_p < 0.0f || min_p > 1.0f) fail("min_p must be in [0, 1], got {}", min_p);
  if (!finite(typical_p) || typical_p < 0.0f) fail("typical_p must be >= 0 (1 or more: off), got {}", typical_p);
  if (!finite(repeat_penalty) || repeat_penalty <= 0.0f)
    fail("repeat_penalty must be > 0 (1: off), got {}", repeat_penalty);
  if (repeat_last_n < -1) fail("repeat_last_n must be -1 (whole sequence), 0 (off) or positive, got {}", repeat_last_n);
  if (!finite(presence_penalty)) fail("presence_penalty must be a finite number");
  if (!finite(frequency_penalty)) fail("frequency_penalty must be a finite number");
  if (mirostat < 0 || mirostat > 2) fail("mirostat must be 0 (off), 1 or 2, got {}", mirostat);
  if (!finite(mirostat_tau) || mirostat_tau < 0.0f) fail("mirostat_tau must be >= 0, got {}", mirostat_tau);
  if (!finite(mirostat_eta) || mirostat_eta < 0.0f) fail("mirostat_eta must be >= 0, got {}", mirostat_eta);
  for (const auto& b : logit_bias) {
    if (b.id < 0) fail("logit bias for a negative token id {}", b.id);
    if (std::isnan(b.bias) || b.bias == INFINITY) fail("logit bias for token {} must be a number or -inf", b.id);
  }
}

}  // namespace hearth::sampling
