#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "core/error.h"
#include "store/files.h"
#include "store/resolve.h"
#include "store/sha256.h"
#include "store/store.h"
#include "test_support.h"

using namespace hearth;
using namespace hearth::store;
namespace fs = std::filesystem;

namespace {

Manifest manifest_for(const Store::StagedBlob& b) {
  Manifest m;
  m.model_digest = b.digest;
  m.model_size = b.size;
  m.quantization = "F32";
  return m;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Adds `file` to the store as `name` the way the CLI does.
Manifest add(const Store& s, const fs::path& file, const std::string& name) {
  auto staged = s.stage_blob(file, false);
  auto lock = s.lock();
  s.commit_blob(staged);
  Manifest m = manifest_for(staged);
  s.put(parse_model_name(name), m);
  return m;
}

}  // namespace

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.hex_digest(), sha256_hex("abc"));
}

TEST(Store, ImportListCopyRemove) {
  test::TempDir home;
  const Store s(home.path() / "store");
  const fs::path model = test::model_path("stories260K.gguf");
  const std::string expected = sha256_file(model);

  const Manifest m = add(s, model, "stories:latest");
  EXPECT_EQ(m.model_digest, expected);
  EXPECT_EQ(m.model_size, fs::file_size(model));
  EXPECT_TRUE(fs::is_regular_file(home.path() / "store" / "blobs" / ("sha256-" + expected)));
  EXPECT_EQ(sha256_file(s.blob_path(expected)), expected);
  // No temporary file is left visible beside the blob.
  EXPECT_EQ(names_in(home.path() / "store" / "blobs"), (std::vector<std::string>{"partial", "sha256-" + expected}));

  auto got = s.get(parse_model_name("stories"));
  EXPECT_EQ(got.model_digest, expected);

  {
    auto lock = s.lock();
    s.copy(parse_model_name("stories"), parse_model_name("team/story-copy:v1"));
  }
  auto list = s.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name.display(), "stories:latest");
  EXPECT_EQ(list[1].name.display(), "team/story-copy:v1");

  {
    auto lock = s.lock();
    s.remove(parse_model_name("stories"));
  }
  EXPECT_TRUE(s.has_blob(expected)) << "still referenced by the copy";
  {
    auto lock = s.lock();
    s.remove(parse_model_name("team/story-copy:v1"));
  }
  EXPECT_FALSE(s.has_blob(expected)) << "unreferenced blobs are collected";
  EXPECT_TRUE(s.list().empty());
  auto lock = s.lock();
  EXPECT_THROW(s.remove(parse_model_name("stories")), Error);
}

TEST(Store, ResolvesNamesAndFiles) {
  test::TempDir home;
  const Store s(home.path());
  const fs::path model = test::model_path("stories260K.gguf");
  Manifest m;
  {
    auto staged = s.stage_blob(model, false);
    auto lock = s.lock();
    s.commit_blob(staged);
    m = manifest_for(staged);
    m.system = "Be brief.";
    m.parameters["temperature"] = 0.1;
    s.put(parse_model_name("st:small"), m);
  }
  auto r = resolve_model("st:small", s);
  EXPECT_TRUE(r.from_store());
  EXPECT_EQ(r.display_name, "st:small");
  EXPECT_EQ(r.path, s.blob_path(m.model_digest));
  EXPECT_EQ(r.manifest.system, "Be brief.");
  EXPECT_DOUBLE_EQ(r.manifest.parameters["temperature"].get<double>(), 0.1);

  auto f = resolve_model(model.string(), s);
  EXPECT_FALSE(f.from_store());
  EXPECT_EQ(f.path, model);

  EXPECT_THROW(resolve_model("st:missing", s), Error);
  EXPECT_THROW(resolve_model("../st", s), Error);
  EXPECT_THROW(resolve_model(std::string("st\0x", 4), s), Error);
  try {
    resolve_model("nothere.gguf", s);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos) << e.what();
  }
}

TEST(Store, AtomicWriteLeavesOldOrNew) {
  test::TempDir dir;
  const fs::path p = dir.path() / "file";
  write_file_atomic(p, "old");
  // A child killed in the middle of a write (here: before its rename) leaves only a hidden
  // temporary file; the target keeps its old content.
  const pid_t pid = fork();
  if (pid == 0) {
    fs::path tmp;
    const int fd = make_temp_file(dir.path(), tmp);
    (void)!::write(fd, "ne", 2);
    ::_exit(0);  // dies before finishing: never renamed
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(test::read_file(p), "old");
  write_file_atomic(p, "new content");
  EXPECT_EQ(test::read_file(p), "new content");
}

TEST(Store, ManifestErrorsNameTheField) {
  try {
    Manifest::parse(R"({"schema":"hearth.manifest.v1","model":{"digest":"sha256:xyz","size":1}})", "m:t");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.digest"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Manifest::parse("{", "m:t"), Error);
  EXPECT_THROW(Manifest::parse("[]", "m:t"), Error);
  Manifest m;
  m.model_digest = std::string(64, 'b');
  m.model_size = 7;
  m.messages.push_back({"user", "hi"});
  m.licenses.push_back("MIT");
  const Manifest back = Manifest::parse(m.serialize(), "m:t");
  EXPECT_EQ(back.serialize(), m.serialize());
}

TEST(Store, ConcurrentWritersKeepEveryManifest) {
  test::TempDir home;
  const Store s(home.path());
  const fs::path model = test::model_path("stories260K.gguf");
  add(s, model, "base");
  const std::string digest = s.get(parse_model_name("base")).model_digest;
  // Several processes add names at once; the lock keeps each change whole.
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    const pid_t pid = fork();
    if (pid == 0) {
      try {
        for (int i = 0; i < 10; ++i) {
          auto lock = s.lock();
          Manifest m;
          m.model_digest = digest;
          m.model_size = fs::file_size(model);
          s.put(parse_model_name("m" + std::to_string(k) + ":t" + std::to_string(i)), m);
          s.collect_garbage();
        }
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(s.list().size(), 41u);
  EXPECT_TRUE(s.has_blob(digest));
}
