#pragma once
// The web UI's static files, embedded into the binary at build time (generated from the Vite
// output in webui/, or a placeholder page when the UI was not built). Served by `hearth serve`.
#include <span>
#include <string_view>

namespace hearth::webui {

struct Asset {
  std::string_view path;          // "/index.html", "/assets/index-3f2a.js"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

// "/" maps to "/index.html"; nullptr when no asset has that path.
const Asset* find_asset(std::string_view path);

// Every embedded asset, sorted by path.
std::span<const Asset> all_assets();

// True when the embedded page is the placeholder that says the UI was not built
// (webui/node_modules was missing at build time).
bool is_placeholder();

}  // namespace hearth::webui
