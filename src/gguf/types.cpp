#include "gguf/types.h"

#include <array>
#include <cctype>

namespace hearth {
namespace {

constexpr std::array<GgmlTypeInfo, kGgmlTypeCount> kTypes = {{
    {"F32", 1, 4, false},       {"F16", 1, 2, false},        {"Q4_0", 32, 18, true},
    {"Q4_1", 32, 20, true},     {"Q4_2", 0, 0, true},        {"Q4_3", 0, 0, true},
    {"Q5_0", 32, 22, true},     {"Q5_1", 32, 24, true},      {"Q8_0", 32, 34, true},
    {"Q8_1", 32, 36, true},     {"Q2_K", 256, 84, true},     {"Q3_K", 256, 110, true},
    {"Q4_K", 256, 144, true},   {"Q5_K", 256, 176, true},    {"Q6_K", 256, 210, true},
    {"Q8_K", 256, 292, true},   {"IQ2_XXS", 256, 66, true},  {"IQ2_XS", 256, 74, true},
    {"IQ3_XXS", 256, 98, true}, {"IQ1_S", 256, 50, true},    {"IQ4_NL", 32, 18, true},
    {"IQ3_S", 256, 110, true},  {"IQ2_S", 256, 82, true},    {"IQ4_XS", 256, 136, true},
    {"I8", 1, 1, false},        {"I16", 1, 2, false},        {"I32", 1, 4, false},
    {"I64", 1, 8, false},       {"F64", 1, 8, false},        {"IQ1_M", 256, 56, true},
    {"BF16", 1, 2, false},      {"Q4_0_4_4", 0, 0, true},    {"Q4_0_4_8", 0, 0, true},
    {"Q4_0_8_8", 0, 0, true},   {"TQ1_0", 256, 54, true},    {"TQ2_0", 256, 66, true},
    {"IQ4_NL_4_4", 0, 0, true}, {"IQ4_NL_4_8", 0, 0, true},  {"IQ4_NL_8_8", 0, 0, true},
    {"MXFP4", 32, 17, true},    {"NVFP4", 64, 36, true},     {"Q1_0", 128, 18, true},
    {"Q2_0", 64, 18, true},
}};

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  if (id >= kTypes.size() || kTypes[id].block_size == 0) return nullptr;
  return &kTypes[id];
}

std::string_view type_name(GgmlType t) {
  const auto* info = ggml_type_info(static_cast<uint32_t>(t));
  return info ? info->name : std::string_view("invalid");
}

std::optional<GgmlType> type_from_name(std::string_view name) {
  for (uint32_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].block_size == 0 || kTypes[i].name.size() != name.size()) continue;
    bool eq = true;
    for (size_t k = 0; k < name.size() && eq; ++k)
      eq = std::toupper(static_cast<unsigned char>(name[k])) == kTypes[i].name[k];
    if (eq) return static_cast<GgmlType>(i);
  }
  return std::nullopt;
}

}  // namespace hearth
