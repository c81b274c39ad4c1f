#include "store/signing.h"

#include <sodium.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "store/files.h"
#include "store/sha256.h"

namespace hearth::store {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSecretTag = "hearth-ed25519-secret-key";
constexpr const char* kPublicTag = "hearth-ed25519";
constexpr const char* kDomain = "hearth-model-signature-v1\n";

void init_sodium() {
  if (sodium_init() < 0) fail("libsodium failed to initialise");
}

std::string to_base64(const std::string& bin) {
  std::string out(sodium_base64_encoded_len(bin.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()), bin.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> from_base64(const std::string& text, size_t expected_len) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != expected_len)
    return std::nullopt;
  out.resize(len);
  return out;
}

std::string read_text(const fs::path& p, const char* what) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("{}: cannot read {}", p.string(), what);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "TAG BASE64 [comment]" → the decoded key, or an error naming the file.
std::string parse_key_line(const fs::path& p, const std::string& text, const char* tag, size_t len) {
  std::istringstream in(text);
  std::string t, b64;
  in >> t >> b64;
  if (t != tag) fail("{}: not a hearth key file (expected it to start with '{}')", p.string(), tag);
  auto key = from_base64(b64, len);
  if (!key) fail("{}: the key is not {} bytes of base64", p.string(), len);
  return *key;
}

std::string signed_message(const std::string& digest, const std::string& manifest_bytes) {
  return std::string(kDomain) + "sha256:" + digest + "\n" + manifest_bytes;
}

}  // namespace

KeyPair generate_key_pair() {
  init_sodium();
  KeyPair k;
  k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                      reinterpret_cast<unsigned char*>(k.secret_key.data()));
  return k;
}

std::string key_id(const std::string& public_key) { return sha256_hex(public_key).substr(0, 16); }

void write_key_pair(const KeyPair& keys, const fs::path& path) {
  const fs::path pub = path.string() + ".pub";
  for (const auto& p : {path, pub})
    if (fs::exists(p)) fail("{}: already exists; refusing to overwrite a key", p.string());
  write_file_atomic(path, fmt::format("{} {}\n", kSecretTag, to_base64(keys.secret_key)), true);
  write_file_atomic(pub, fmt::format("{} {} {}\n", kPublicTag, to_base64(keys.public_key), key_id(keys.public_key)));
}

KeyPair read_secret_key(const fs::path& path) {
  init_sodium();
  KeyPair k;
  k.secret_key = parse_key_line(path, read_text(path, "the secret key"), kSecretTag, crypto_sign_SECRETKEYBYTES);
  k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(k.public_key.data()),
                               reinterpret_cast<const unsigned char*>(k.secret_key.data()));
  return k;
}

std::string read_public_key(const fs::path& path) {
  return parse_key_line(path, read_text(path, "the public key"), kPublicTag, crypto_sign_PUBLICKEYBYTES);
}

void sign_model(const Store& store, const ModelName& name, const KeyPair& keys) {
  init_sodium();
  const std::string bytes = store.manifest_bytes(name);
  const Manifest m = Manifest::parse(bytes, name.display());
  const std::string actual = sha256_file(store.blob_path(m.model_digest));
  if (actual != m.model_digest)
    fail("model '{}': blob sha256-{} is damaged (its content hashes to {}); not signing it", name.display(),
         m.model_digest, actual);
  const std::string msg = signed_message(m.model_digest, bytes);
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       reinterpret_cast<const unsigned char*>(keys.secret_key.data()));
  nlohmann::ordered_json j{{"algorithm", "ed25519"},
                           {"key_id", key_id(keys.public_key)},
                           {"public_key", to_base64(keys.public_key)},
                           {"signature", to_base64(sig)}};
  store.put_signature(name, j.dump(2) + "\n");
}

VerifyResult verify_model(const Store& store, const ModelName& name, const std::optional<fs::path>& trusted_keys_dir) {
  init_sodium();
  VerifyResult r;
  const std::string bytes = store.manifest_bytes(name);
  const auto sig_text = store.signature_bytes(name);
  if (!sig_text) {
    r.reason = "model '" + name.display() + "' is not signed (hearth sign " + name.display() + " --key KEYFILE)";
    return r;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*sig_text);
  } catch (const nlohmann::json::exception&) {
    r.reason = "the signature file " + store.signature_path(name).string() + " is not valid JSON";
    return r;
  }
  const auto pk = j.is_object() && j.value("public_key", nlohmann::json()).is_string()
                      ? from_base64(j["public_key"].get<std::string>(), crypto_sign_PUBLICKEYBYTES)
                      : std::nullopt;
  const auto sig = j.is_object() && j.value("signature", nlohmann::json()).is_string()
                       ? from_base64(j["signature"].get<std::string>(), crypto_sign_BYTES)
                       : std::nullopt;
  if (!pk || !sig || j.value("algorithm", "") != "ed25519") {
    r.reason = "the signature file " + store.signature_path(name).string() + " is malformed";
    return r;
  }
  r.key_id = key_id(*pk);
  if (trusted_keys_dir) {
    if (!fs::is_directory(*trusted_keys_dir))
      fail("--trusted-keys {}: not a directory", trusted_keys_dir->string());
    bool trusted = false;
    for (const auto& e : fs::directory_iterator(*trusted_keys_dir)) {
      if (e.path().extension() != ".pub" || !e.is_regular_file()) continue;
      if (read_public_key(e.path()) == *pk) trusted = true;
    }
    if (!trusted) {
      r.reason = "model '" + name.display() + "' is signed by key " + r.key_id + ", which is not in the trusted keys " +
                 trusted_keys_dir->string();
      return r;
    }
  }
  const Manifest m = Manifest::parse(bytes, name.display());
  const std::string msg = signed_message(m.model_digest, bytes);
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                  reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                  reinterpret_cast<const unsigned char*>(pk->data())) != 0) {
    r.reason = "the signature of model '" + name.display() + "' does not match its manifest (changed after signing)";
    return r;
  }
  const fs::path blob = store.blob_path(m.model_digest);
  if (!fs::exists(blob)) {
    r.reason = "model '" + name.display() + "': blob " + blob.string() + " is missing";
    return r;
  }
  const std::string actual = sha256_file(blob);
  if (actual != m.model_digest) {
    r.reason = "model '" + name.display() + "': blob sha256-" + m.model_digest.substr(0, 12) +
               "… has been modified (its content hashes to " + actual.substr(0, 12) + "…)";
    return r;
  }
  r.ok = true;
  r.reason = "model '" + name.display() + "' is signed by key " + r.key_id + " and its blob is intact";
  return r;
}

}  // namespace hearth::store
