#include <array>

#include "model/arch.h"

namespace hearth::model {
namespace {
const std::array<ArchSpec, 3>& registry() {
  static const std::array<ArchSpec, 3> archs = {llama_arch(), qwen2_arch(), qwen3_arch()};
  return archs;
}
}  // namespace

const ArchSpec* find_arch(std::string_view name) {
  for (const auto& a : registry())
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<std::string_view> supported_archs() {
  std::vector<std::string_view> out;
  for (const auto& a : registry()) out.push_back(a.name);
  return out;
}

}  // namespace hearth::model
