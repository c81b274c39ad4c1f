// The store commands end to end through the hearth binary, with HEARTH_HOME in a temp dir:
// import/list/show/run by name, cp/rm, create from a Modelfile, keygen/sign/verify and
// --require-signed, ps without a server, and path-traversal names on every command.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "test_support.h"

using hearth::test::run_hearth;
namespace fs = std::filesystem;

namespace {

struct StoreCli : ::testing::Test {
  hearth::test::TempDir dir;
  std::string model = hearth::test::model_path("stories260K.gguf").string();

  void SetUp() override {
    ::setenv("HEARTH_HOME", (dir.path() / "home").c_str(), 1);
    ::setenv("HEARTH_HOST", "http://127.0.0.1:1", 1);
  }
  void TearDown() override {
    ::unsetenv("HEARTH_HOME");
    ::unsetenv("HEARTH_HOST");
  }

  hearth::test::CommandResult ok(const std::vector<std::string>& args, const std::string& in = "") {
    auto r = run_hearth(args, in);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    return r;
  }
  std::string error_of(const std::vector<std::string>& args) {
    auto r = run_hearth(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << " should fail; stdout: " << r.out;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
    return r.err;
  }
  void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }
};

}  // namespace

TEST_F(StoreCli, ImportListShowRunByName) {
  ok({"import", model, "--name", "stories:260k"});
  auto list = ok({"list"});
  EXPECT_NE(list.out.find("stories:260k"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("F32"), std::string::npos) << list.out;

  auto show = ok({"show", "stories:260k", "--json"});
  EXPECT_NE(show.out.find("\"store\""), std::string::npos);
  EXPECT_NE(show.out.find("\"architecture\": \"llama\""), std::string::npos);

  // A store name runs exactly like the file it names.
  const auto by_file = ok({"run", model, "-p", "Once upon a time", "-n", "24", "--temp", "0"});
  const auto by_name = ok({"run", "stories:260k", "-p", "Once upon a time", "-n", "24", "--temp", "0"});
  EXPECT_FALSE(by_name.out.empty());
  EXPECT_EQ(by_name.out, by_file.out);

  ok({"cp", "stories:260k", "team/story:v2"});
  ok({"rm", "stories:260k"});
  list = ok({"list"});
  EXPECT_EQ(list.out.find("stories:260k"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("team/story:v2"), std::string::npos) << list.out;
  EXPECT_NE(error_of({"run", "stories:260k", "-p", "x"}).find("not found"), std::string::npos);
  ok({"rm", "team/story:v2"});
  // The blob went with its last name.
  for (const auto& e : fs::directory_iterator(dir.path() / "home" / "blobs"))
    EXPECT_NE(e.path().filename().string().rfind("sha256-", 0), 0u) << e.path();
}

TEST_F(StoreCli, CreateFromModelfile) {
  const fs::path mf = dir.path() / "Hearthfile";
  write(mf, "FROM " + model + "\n"
            "PARAMETER temperature 0\n"
            "PARAMETER num_predict 12\n"
            "SYSTEM \"\"\"Tell stories.\"\"\"\n"
            "MESSAGE user Hi\n"
            "LICENSE MIT\n");
  ok({"create", "teller", "-f", mf.string()});
  const auto show = ok({"show", "teller"});
  EXPECT_NE(show.out.find("num_predict"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("Tell stories."), std::string::npos) << show.out;
  // The stored parameters apply (greedy, 12 tokens); flags still win.
  const auto by_params = ok({"run", "teller", "-p", "Once upon a time"});
  const auto by_flags = ok({"run", model, "-p", "Once upon a time", "-n", "12", "--temp", "0"});
  EXPECT_EQ(by_params.out, by_flags.out);
  const auto longer = ok({"run", "teller", "-p", "Once upon a time", "-n", "30"});
  EXPECT_GT(longer.out.size(), by_params.out.size());

  // FROM an existing store model inherits and overrides.
  write(mf, "FROM teller\nPARAMETER num_predict 5\n");
  ok({"create", "teller:short", "-f", mf.string()});
  const auto j = ok({"show", "teller:short", "--json"}).out;
  EXPECT_NE(j.find("\"num_predict\": 5"), std::string::npos) << j;
  EXPECT_NE(j.find("Tell stories."), std::string::npos) << j;

  write(mf, "FROM ./missing.gguf\n");
  EXPECT_NE(error_of({"create", "x", "-f", mf.string()}).find("no such file"), std::string::npos);
  write(mf, "FROM " + model + "\nPARAMETER temprature 1\n");
  EXPECT_NE(error_of({"create", "x", "-f", mf.string()}).find("unknown parameter 'temprature'"), std::string::npos);
}

TEST_F(StoreCli, SignVerifyAndRequireSigned) {
  ok({"import", model, "--name", "st"});
  const std::string key = (dir.path() / "key").string();
  ok({"keygen", "--out", key});
  EXPECT_TRUE(fs::exists(key + ".pub"));
  const fs::path trusted = dir.path() / "trusted";
  fs::create_directories(trusted);
  fs::copy_file(key + ".pub", trusted / "me.pub");

  EXPECT_NE(error_of({"verify", "st"}).find("not signed"), std::string::npos);
  EXPECT_NE(error_of({"run", "st", "-p", "x", "--require-signed"}).find("not signed"), std::string::npos);
  ok({"sign", "st", "--key", key});
  EXPECT_NE(ok({"verify", "st", "--trusted-keys", trusted.string()}).out.find("verified"), std::string::npos);
  ok({"run", "st", "-p", "Once", "-n", "4", "--require-signed", "--trusted-keys", trusted.string()});

  // One flipped byte in the blob.
  fs::path blob;
  for (const auto& e : fs::directory_iterator(dir.path() / "home" / "blobs"))
    if (e.path().filename().string().rfind("sha256-", 0) == 0) blob = e.path();
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(4096);
    char c = 0;
    f.get(c);
    f.seekp(4096);
    f.put(static_cast<char>(c ^ 0x20));
  }
  EXPECT_NE(error_of({"verify", "st"}).find("has been modified"), std::string::npos);
  EXPECT_NE(error_of({"run", "st", "-p", "x", "--require-signed"}).find("has been modified"), std::string::npos);
  EXPECT_NE(error_of({"run", model, "-p", "x", "--require-signed"}).find("plain file"), std::string::npos);
}

TEST_F(StoreCli, TraversalNamesAreRefusedEverywhere) {
  ok({"import", model, "--name", "good"});
  const fs::path mf = dir.path() / "Modelfile";
  write(mf, "FROM good\n");
  const std::string key = (dir.path() / "k").string();
  ok({"keygen", "--out", key});
  for (const char* bad : {"../x", "/no/such/abs", "a/../../b", "x:../../y", "..", "a/b/c"}) {
    SCOPED_TRACE(bad);
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"import", model, "--name", bad},
             {"pull", "http://127.0.0.1:1/x.gguf", "--name", bad},
             {"rm", bad},
             {"cp", "good", bad},
             {"cp", bad, "good2"},
             {"create", bad, "-f", mf.string()},
             {"sign", bad, "--key", key},
             {"verify", bad},
             {"show", bad},
             {"run", bad, "-p", "x"}}) {
      const std::string err = error_of(args);
      EXPECT_TRUE(err.find("invalid model name") != std::string::npos || err.find("no such file") != std::string::npos)
          << args[0] << ": " << err;
    }
  }
  // Nothing escaped the store.
  EXPECT_FALSE(fs::exists(dir.path() / "x"));
  EXPECT_FALSE(fs::exists(dir.path() / "home" / "x"));
  auto list = ok({"list"});
  EXPECT_NE(list.out.find("good:latest"), std::string::npos);
}

TEST_F(StoreCli, PsNeedsAServer) {
  EXPECT_NE(error_of({"ps"}).find("no hearth server answers at http://127.0.0.1:1"), std::string::npos);
}
