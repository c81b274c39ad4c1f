#pragma once
// Ed25519 model signatures (libsodium). A signature covers the model blob's sha256 digest and
// the exact manifest bytes, so changing the weights, a parameter, the template or the system
// prompt all invalidate it. Verification also re-hashes the blob, so a flipped byte in the
// stored file is caught even though the manifest still names the old digest.
//
// Files: KEYFILE holds "hearth-ed25519-secret-key <base64 secret key>" (mode 0600);
// KEYFILE.pub holds "hearth-ed25519 <base64 public key>"; a trusted-keys directory holds
// *.pub files. The signature sits beside the manifest (store.h) as JSON.
#include <filesystem>
#include <optional>
#include <string>

#include "store/store.h"

namespace hearth::store {

struct KeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes
};

KeyPair generate_key_pair();
// Writes `path` (secret, 0600) and `path`.pub; refuses to overwrite an existing key.
void write_key_pair(const KeyPair& keys, const std::filesystem::path& path);
KeyPair read_secret_key(const std::filesystem::path& path);
std::string read_public_key(const std::filesystem::path& path);
// The first 16 hex digits of the public key's sha256: how keys are named in messages.
std::string key_id(const std::string& public_key);

// Signs `name`'s manifest and blob digest, storing the signature in the store. Needs the lock.
void sign_model(const Store& store, const ModelName& name, const KeyPair& keys);

struct VerifyResult {
  bool ok = false;
  std::string reason;  // why not, or what verified ("signed by key <id>")
  std::string key_id;
};
// Checks the signature, that its key is in `trusted_keys_dir` (when given) and that the
// blob still hashes to the manifest's digest.
VerifyResult verify_model(const Store& store, const ModelName& name,
                          const std::optional<std::filesystem::path>& trusted_keys_dir);

}  // namespace hearth::store
