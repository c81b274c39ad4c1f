#pragma once
// Implemented by the file generated at build time (embed_assets.cmake).
#include "webui/assets.h"

namespace hearth::webui::generated {

std::span<const Asset> assets();  // sorted by path
bool placeholder();

}  // namespace hearth::webui::generated
