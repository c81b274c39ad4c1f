// hearth show --json against shared/reference/MANIFEST.md: file size and the tensor-type mix
// ("Q4_K: 13 others; Q6_K: output, blk.1.attn_v" / "all 2-D: F16"; 1-D tensors are F32).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gguf/reader.h"
#include "test_support.h"

using namespace hearth;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '`')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '`')) s.pop_back();
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(trim(item));
  return out;
}

}  // namespace

TEST(ShowManifest, SizesAndTypeMixMatchManifest) {
  const std::string manifest = test::read_file(test::shared_dir() / "reference" / "MANIFEST.md");
  std::stringstream lines(manifest);
  std::string line;
  int checked = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("| tiny-", 0) != 0 || line.find(".gguf") == std::string::npos) continue;
    const auto cols = split(line.substr(1), '|');
    if (cols.size() < 5 || cols[1].empty() || cols[1].find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string file = cols[0];
    const auto path = test::model_path(file);
    if (!std::filesystem::exists(path)) continue;  // F32 files of some models are not shipped
    SCOPED_TRACE(file);
    auto r = test::run_hearth({"show", path.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["file_bytes"].get<uint64_t>(), std::stoull(cols[1]));

    const auto f = gguf::File::open(path);
    int64_t n2d = 0, n1d = 0;
    for (const auto& t : f.tensors()) (t.ne[1] > 1 ? n2d : n1d)++;
    EXPECT_EQ(j["tensor_count"].get<int64_t>(), n2d + n1d);

    std::map<std::string, int64_t> expected;
    const std::string types = cols[4];
    if (types.rfind("all 2-D:", 0) == 0) {
      expected[trim(types.substr(8))] += n2d;
    } else {
      for (const auto& part : split(types, ';')) {
        const auto colon = part.find(':');
        ASSERT_NE(colon, std::string::npos) << part;
        const std::string type = trim(part.substr(0, colon));
        const std::string what = trim(part.substr(colon + 1));
        if (what.find(" others") != std::string::npos)
          expected[type] += std::stoll(what);
        else
          expected[type] += static_cast<int64_t>(split(what, ',').size());
      }
    }
    expected["F32"] += n1d;
    std::map<std::string, int64_t> shown;
    for (const auto& m : j["quantization_mix"]) shown[m["type"].get<std::string>()] = m["tensors"].get<int64_t>();
    EXPECT_EQ(shown, expected);
    ++checked;
  }
  EXPECT_GE(checked, 25);
}
