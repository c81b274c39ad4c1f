// The embedded web UI asset table: lookups, content types, and that every file index.html
// references is embedded.
#include <gtest/gtest.h>

#include <string>

#include "webui/assets.h"

namespace hearth::webui {
namespace {

TEST(WebuiAssets, RootIsIndexHtml) {
  const Asset* root = find_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root, find_asset("/index.html"));
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  const std::string body(root->body);
  EXPECT_NE(body.find("<html"), std::string::npos);
  EXPECT_EQ(body.size(), root->body.size()) << "index.html must not contain NUL bytes";
}

TEST(WebuiAssets, UnknownPathsAreNotFound) {
  for (const char* path : {"/nope", "/index.html/", "/../index.html", "index.html", "/INDEX.HTML", "/assets/", "/assets"}) {
    EXPECT_EQ(find_asset(path), nullptr) << path;
  }
}

TEST(WebuiAssets, TableIsSortedAndUnique) {
  const auto all = all_assets();
  ASSERT_FALSE(all.empty());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].path, all[i].path);
  for (const auto& a : all) {
    EXPECT_EQ(find_asset(a.path), &a) << a.path;
    EXPECT_FALSE(a.body.empty()) << a.path;
    EXPECT_FALSE(a.content_type.empty()) << a.path;
  }
}

TEST(WebuiAssets, EveryReferencedFileIsEmbedded) {
  const std::string html(find_asset("/")->body);
  if (is_placeholder()) {
    EXPECT_NE(html.find("was not built"), std::string::npos);
    GTEST_SKIP() << "placeholder page embedded (webui/node_modules missing at build time)";
  }
  // Every src="/assets/..." or href="/assets/..." (no std::regex: GCC 12 warns inside it under ASan).
  int scripts = 0;
  const std::string marker = "=\"/assets/";
  for (size_t at = html.find(marker); at != std::string::npos; at = html.find(marker, at + 1)) {
    const size_t start = at + 2;
    const size_t end = html.find('"', start);
    ASSERT_NE(end, std::string::npos);
    const std::string path = html.substr(start, end - start);
    const Asset* a = find_asset(path);
    ASSERT_NE(a, nullptr) << path << " is referenced by index.html but not embedded";
    if (path.ends_with(".js")) {
      ++scripts;
      EXPECT_EQ(a->content_type, "text/javascript; charset=utf-8");
    }
    if (path.ends_with(".css")) {
      EXPECT_EQ(a->content_type, "text/css; charset=utf-8");
    }
  }
  EXPECT_GE(scripts, 1) << "index.html loads no script from /assets/";
}

}  // namespace
}  // namespace hearth::webui
