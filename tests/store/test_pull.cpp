// Pulls against a local stand-in for the hub (hub_server.h): complete, resumed, dropped,
// wrong digest, and a `hearth pull` killed with SIGKILL mid-download.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/error.h"
#include "hub_server.h"
#include "store/pull.h"
#include "store/sha256.h"
#include "test_support.h"

extern char** environ;

using namespace hearth;
using namespace hearth::store;
namespace fs = std::filesystem;

namespace {

const std::string kRepo = "ggml-org/models";
const std::string kFile = "tinyllamas/stories260K.gguf";

struct HubFixture : ::testing::Test {
  test::HubServer hub;
  test::TempDir home;
  Store store{home.path()};
  std::string bytes = test::read_file(test::model_path("stories260K.gguf"));
  std::string digest = sha256_hex(bytes);

  void SetUp() override {
    hub.add_file(kRepo, kFile, bytes);
    hub.add_file("someone/Tiny-GGUF", "tiny-Q4_K_M.gguf", bytes);
    hub.add_file("someone/Tiny-GGUF", "tiny-Q8_0.gguf", "not used");
  }
  std::string url() const { return hub.endpoint() + "/" + kRepo + "/resolve/main/" + kFile; }

  std::vector<std::string> blob_names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(home.path() / "blobs"))
      if (e.is_regular_file()) out.push_back(e.path().filename().string());
    return out;
  }
  std::vector<fs::path> partials() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(store.partial_dir()))
      if (e.path().extension() == ".partial") out.push_back(e.path());
    return out;
  }
};

}  // namespace

TEST_F(HubFixture, ResolvesReferences) {
  auto r = resolve_pull_ref("hf.co/ggml-org/models/tinyllamas/stories260K.gguf", hub.endpoint());
  EXPECT_EQ(r.url, url());
  EXPECT_EQ(r.default_name, "stories260k:latest");
  r = resolve_pull_ref("hf.co/someone/Tiny-GGUF:q4_k_m", hub.endpoint());
  EXPECT_EQ(r.url, hub.endpoint() + "/someone/Tiny-GGUF/resolve/main/tiny-Q4_K_M.gguf");
  EXPECT_EQ(r.default_name, "tiny:q4_k_m");
  r = resolve_pull_ref("hf.co/someone/Tiny-GGUF", hub.endpoint());  // Q4_K_M by default
  EXPECT_EQ(r.url, hub.endpoint() + "/someone/Tiny-GGUF/resolve/main/tiny-Q4_K_M.gguf");
  r = resolve_pull_ref("https://example.com/a/Model-7B.gguf?download=1", hub.endpoint());
  EXPECT_EQ(r.url, "https://example.com/a/Model-7B.gguf?download=1");
  EXPECT_EQ(r.default_name, "model-7b:latest");

  EXPECT_THROW(resolve_pull_ref("hf.co/someone/Tiny-GGUF:IQ1_S", hub.endpoint()), Error);
  EXPECT_THROW(resolve_pull_ref("hf.co/nobody/nothing", hub.endpoint()), Error);
  EXPECT_THROW(resolve_pull_ref("hf.co/../x/y.gguf", hub.endpoint()), Error);
  EXPECT_THROW(resolve_pull_ref("hf.co/a/b/../../c.gguf", hub.endpoint()), Error);
  EXPECT_THROW(resolve_pull_ref("hf.co/a/b/readme.md", hub.endpoint()), Error);
  EXPECT_THROW(resolve_pull_ref("ftp://x/y.gguf", hub.endpoint()), Error);
  EXPECT_THROW(resolve_pull_ref("llama3", hub.endpoint()), Error);
}

TEST_F(HubFixture, PullsAndChecksTheDigest) {
  std::vector<PullProgress> seen;
  PullOptions opt;
  opt.on_progress = [&](const PullProgress& p) { seen.push_back(p); };
  const auto r = pull_blob(store, url(), opt);
  EXPECT_EQ(r.digest, digest);
  EXPECT_TRUE(r.digest_stated);
  EXPECT_EQ(r.size, bytes.size());
  EXPECT_EQ(sha256_file(store.blob_path(digest)), digest);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done, bytes.size());
  EXPECT_EQ(seen.back().total, bytes.size());
  EXPECT_TRUE(partials().empty());
}

TEST_F(HubFixture, WrongDigestIsRefusedAndLeavesNoBlob) {
  hub.wrong_digest = true;
  try {
    pull_blob(store, url(), {});
    FAIL() << "a wrong digest must be refused";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("sha256 mismatch"), std::string::npos) << msg;
    EXPECT_NE(msg.find(digest), std::string::npos) << msg;
  }
  EXPECT_TRUE(blob_names().empty());
  EXPECT_TRUE(partials().empty());
}

TEST_F(HubFixture, DroppedConnectionIsResumedWithRange) {
  hub.drop_after_once = 300000;
  std::vector<std::string> notes;
  PullOptions opt;
  opt.on_note = [&](const std::string& n) { notes.push_back(n); };
  const auto r = pull_blob(store, url(), opt);
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(sha256_file(store.blob_path(digest)), digest);
  bool ranged = false;
  for (const auto& q : hub.requests()) ranged |= q.range == "bytes=300000-";
  EXPECT_TRUE(ranged) << "the retry continues where the connection dropped";
  EXPECT_FALSE(notes.empty());
}

TEST_F(HubFixture, ResumesAPartialFileFromAnEarlierPull) {
  // An earlier pull that died after 500000 bytes.
  hub.drop_after_once = 500000;
  PullOptions once;
  once.max_attempts = 1;
  EXPECT_THROW(pull_blob(store, url(), once), Error);
  ASSERT_EQ(partials().size(), 1u);
  EXPECT_EQ(fs::file_size(partials()[0]), 500000u);
  EXPECT_TRUE(blob_names().empty()) << "nothing partial is visible as a blob";

  const auto r = pull_blob(store, url(), {});
  EXPECT_EQ(r.resumed_from, 500000u);
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(sha256_file(store.blob_path(digest)), digest);
}

TEST_F(HubFixture, ServerWithoutRangeSupportStartsOver) {
  hub.drop_after_once = 200000;
  PullOptions once;
  once.max_attempts = 1;
  EXPECT_THROW(pull_blob(store, url(), once), Error);
  hub.no_range = true;
  const auto r = pull_blob(store, url(), {});
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(sha256_file(store.blob_path(digest)), digest);
}

TEST_F(HubFixture, MissingFileAndDeadServerAreClearErrors) {
  try {
    pull_blob(store, hub.endpoint() + "/a/b/resolve/main/none.gguf", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 404"), std::string::npos) << e.what();
  }
  try {
    pull_blob(store, "http://127.0.0.1:1/x.gguf", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
  }
}

// `hearth pull` killed with SIGKILL mid-download: no blob appears; the next pull resumes
// with a Range request and ends with the right hash.
TEST_F(HubFixture, KilledPullResumes) {
  hub.slow_ms_per_chunk = 40;  // ~72 chunks: about 3 s for the whole file
  ::setenv("HEARTH_HOME", home.path().c_str(), 1);
  ::setenv("HEARTH_HF_ENDPOINT", hub.endpoint().c_str(), 1);
  std::vector<std::string> args{HEARTH_BINARY, "pull", "hf.co/ggml-org/models/tinyllamas/stories260K.gguf"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, HEARTH_BINARY, &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);

  // Wait until a good part has arrived, then kill it hard.
  uint64_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(store.partial_dir(), ec))
      if (e.path().extension() == ".partial") got = fs::file_size(e.path(), ec);
    if (got >= 200000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the pull finished before it could be killed";
  ASSERT_GE(got, 200000u);
  EXPECT_TRUE(blob_names().empty()) << "a killed pull leaves no visible blob";
  ASSERT_EQ(partials().size(), 1u);
  const uint64_t kept = fs::file_size(partials()[0]);
  ASSERT_LT(kept, bytes.size());

  hub.slow_ms_per_chunk = 0;
  const auto r = test::run_hearth({"pull", "hf.co/ggml-org/models/tinyllamas/stories260K.gguf", "--name", "st:v1"});
  ::unsetenv("HEARTH_HOME");
  ::unsetenv("HEARTH_HF_ENDPOINT");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming at byte " + std::to_string(kept)), std::string::npos) << r.err;
  bool ranged = false;
  for (const auto& q : hub.requests()) ranged |= q.range == "bytes=" + std::to_string(kept) + "-";
  EXPECT_TRUE(ranged) << "the second pull asks for the rest only";
  EXPECT_EQ(sha256_file(store.blob_path(digest)), digest);
  EXPECT_TRUE(partials().empty());
  EXPECT_EQ(store.get(parse_model_name("st:v1")).model_digest, digest);
}
