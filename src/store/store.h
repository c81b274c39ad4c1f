#pragma once
// The model store under HEARTH_HOME (default ~/.hearth):
//   blobs/sha256-<hex>               content-addressed model files (GGUF)
//   blobs/partial/                   resumable downloads in progress (never read as blobs)
//   manifests/<ns>/<model>/<tag>     JSON manifests (manifest.h)
//   signatures/<ns>/<model>/<tag>    ed25519 signatures of a manifest (signing.h)
//   .lock                            flock taken by every change, so concurrent hearth
//                                    processes never see half a change
// Every file is written to a temporary name, fsynced and renamed into place.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/files.h"
#include "store/manifest.h"
#include "store/name.h"

namespace hearth::store {

struct StoreEntry {
  ModelName name;
  Manifest manifest;
  std::filesystem::file_time_type modified;
};

class Store {
 public:
  // $HEARTH_HOME, else $HOME/.hearth.
  static std::filesystem::path default_home();
  // Nothing is created until the first change (so reading a plain file never makes a store).
  explicit Store(std::filesystem::path home) : home_(std::move(home)) {}
  static Store open_default() { return Store(default_home()); }

  const std::filesystem::path& home() const { return home_; }
  std::filesystem::path blob_path(const std::string& digest_hex) const;
  std::filesystem::path partial_dir() const { return home_ / "blobs" / "partial"; }
  std::filesystem::path blobs_dir() const { return home_ / "blobs"; }
  bool has_blob(const std::string& digest_hex) const;

  // Creates the directory layout when missing.
  void ensure_layout() const;
  // The exclusive store lock (creating the layout); hold it while changing blobs/manifests.
  FileLock lock() const;

  // Copies (or, with `hard_link`, links) `file` into blobs/, hashing it on the way. The copy
  // is written under a temporary name in blobs/ and only renamed to sha256-<hex> once
  // complete. Returns the digest. Call without the lock held (copying can take long);
  // `commit_blob` under the lock publishes it.
  struct StagedBlob {
    std::filesystem::path temp;  // empty when the blob already existed
    std::string digest;
    uint64_t size = 0;
  };
  StagedBlob stage_blob(const std::filesystem::path& file, bool hard_link) const;
  // Renames a staged (hashed, complete) temporary file to its blob name. Needs the lock.
  void commit_blob(const StagedBlob& staged) const;
  // Removes a staged temporary file that will not be committed.
  void discard_staged(const StagedBlob& staged) const;

  std::optional<Manifest> find(const ModelName& name) const;
  // Throws "model 'x' not found" naming hearth list.
  Manifest get(const ModelName& name) const;
  std::string manifest_bytes(const ModelName& name) const;
  // Needs the lock.
  void put(const ModelName& name, const Manifest& manifest) const;
  // Removes the manifest and its signature, then unreferenced blobs. Needs the lock.
  void remove(const ModelName& name) const;
  // Copies a manifest (and its signature) to a new name. Needs the lock.
  void copy(const ModelName& from, const ModelName& to) const;
  std::vector<StoreEntry> list() const;
  // Deletes blobs no manifest refers to; returns how many. Needs the lock.
  size_t collect_garbage() const;

  std::filesystem::path manifest_path(const ModelName& name) const;
  std::filesystem::path signature_path(const ModelName& name) const;
  std::optional<std::string> signature_bytes(const ModelName& name) const;
  void put_signature(const ModelName& name, std::string_view bytes) const;

 private:
  std::filesystem::path home_;
};

}  // namespace hearth::store
