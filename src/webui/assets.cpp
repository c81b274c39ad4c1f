#include "webui/assets.h"

#include <algorithm>

#include "webui/asset_table.h"

namespace hearth::webui {

const Asset* find_asset(std::string_view path) {
  if (path == "/" || path.empty()) path = "/index.html";
  const auto table = generated::assets();
  const auto it = std::lower_bound(table.begin(), table.end(), path,
                                   [](const Asset& a, std::string_view p) { return a.path < p; });
  if (it == table.end() || it->path != path) return nullptr;
  return &*it;
}

std::span<const Asset> all_assets() { return generated::assets(); }

bool is_placeholder() { return generated::placeholder(); }

}  // namespace hearth::webui
