#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "store/resolve.h"
#include "store/signing.h"
#include "test_support.h"

using namespace hearth;
using namespace hearth::store;
namespace fs = std::filesystem;

namespace {

struct SignedStore {
  test::TempDir dir;
  Store store{dir.path() / "home"};
  ModelName name = parse_model_name("signed:v1");
  KeyPair keys = generate_key_pair();
  std::string digest;

  SignedStore() {
    auto staged = store.stage_blob(test::model_path("stories260K.gguf"), false);
    auto lock = store.lock();
    store.commit_blob(staged);
    Manifest m;
    m.model_digest = digest = staged.digest;
    m.model_size = staged.size;
    m.system = "hello";
    store.put(name, m);
    sign_model(store, name, keys);
  }

  fs::path trusted_dir() {
    const fs::path d = dir.path() / "trusted";
    if (!fs::exists(d / "me.pub")) {
      fs::create_directories(d);
      write_key_pair(keys, d / "me");
    }
    return d;
  }
};

void flip_byte(const fs::path& p, size_t offset) {
  fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

}  // namespace

TEST(Signing, KeyFilesRoundTrip) {
  test::TempDir dir;
  const KeyPair k = generate_key_pair();
  write_key_pair(k, dir.path() / "key");
  EXPECT_EQ(fs::status(dir.path() / "key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const KeyPair back = read_secret_key(dir.path() / "key");
  EXPECT_EQ(back.secret_key, k.secret_key);
  EXPECT_EQ(back.public_key, k.public_key);
  EXPECT_EQ(read_public_key(dir.path() / "key.pub"), k.public_key);
  EXPECT_THROW(write_key_pair(k, dir.path() / "key"), Error) << "never overwrites a key";
  EXPECT_THROW(read_public_key(dir.path() / "key"), Error) << "a secret key is not a public key";
}

TEST(Signing, VerifiesAndTrusts) {
  SignedStore t;
  auto v = verify_model(t.store, t.name, std::nullopt);
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_EQ(v.key_id, key_id(t.keys.public_key));
  v = verify_model(t.store, t.name, t.trusted_dir());
  EXPECT_TRUE(v.ok) << v.reason;
  EXPECT_NO_THROW(check_signature_policy(t.store, resolve_model("signed:v1", t.store), t.trusted_dir()));

  // Another key's directory does not trust it.
  test::TempDir other;
  write_key_pair(generate_key_pair(), other.path() / "stranger");
  v = verify_model(t.store, t.name, other.path());
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("not in the trusted keys"), std::string::npos) << v.reason;
}

TEST(Signing, TamperedBlobFails) {
  SignedStore t;
  flip_byte(t.store.blob_path(t.digest), 5000);
  const auto v = verify_model(t.store, t.name, std::nullopt);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("has been modified"), std::string::npos) << v.reason;
  try {
    check_signature_policy(t.store, resolve_model("signed:v1", t.store), std::nullopt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has been modified"), std::string::npos) << e.what();
  }
}

TEST(Signing, ChangedManifestFails) {
  SignedStore t;
  // Edit the manifest behind the store's back (a changed system prompt).
  const fs::path p = t.store.manifest_path(t.name);
  std::string text = test::read_file(p);
  text.replace(text.find("hello"), 5, "HELLO");
  std::ofstream(p, std::ios::binary) << text;
  auto v = verify_model(t.store, t.name, std::nullopt);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("does not match"), std::string::npos) << v.reason;
}

TEST(Signing, UnsignedAndPlainFilesAreRefused) {
  SignedStore t;
  {
    auto lock = t.store.lock();
    t.store.copy(t.name, parse_model_name("copy"));  // the signature travels with the copy
    Manifest m = t.store.get(t.name);
    m.system = "changed";
    t.store.put(parse_model_name("unsigned"), m);
  }
  EXPECT_TRUE(verify_model(t.store, parse_model_name("copy"), std::nullopt).ok);
  auto v = verify_model(t.store, parse_model_name("unsigned"), std::nullopt);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("not signed"), std::string::npos) << v.reason;
  // Re-putting a changed manifest drops the now-stale signature.
  {
    auto lock = t.store.lock();
    Manifest m = t.store.get(t.name);
    m.system = "other";
    t.store.put(t.name, m);
  }
  EXPECT_FALSE(t.store.signature_bytes(t.name));
  const auto plain = resolve_model(test::model_path("stories260K.gguf").string(), t.store);
  EXPECT_THROW(check_signature_policy(t.store, plain, std::nullopt), Error);
}
