#pragma once
// Downloading model files into the store: resumable (HTTP Range), hashed while streaming,
// checked against the sha256 the server states (Hugging Face's X-Linked-Etag for LFS files).
//
// A download lives in blobs/partial/<key>.partial until complete and verified, then is renamed
// to blobs/sha256-<hex> under the store lock. A killed pull leaves only the partial file, which
// the next pull of the same URL continues with a Range request; a dropped connection is
// retried the same way within one pull.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace hearth::store {

struct PullRef {
  std::string url;           // the file to download
  std::string default_name;  // a store name derived from the reference (e.g. "stories260k:latest")
};

// $HEARTH_HF_ENDPOINT, else https://huggingface.co (no trailing slash).
std::string hf_endpoint();

// Turns `hf.co/ORG/REPO/PATH/FILE.gguf`, `hf.co/ORG/REPO[:QUANT]` or an http(s) URL into a
// download URL. A repository without a file is looked up through the hub's model API
// (GET <endpoint>/api/models/ORG/REPO) to choose the GGUF file: the one whose name carries
// QUANT, else Q4_K_M, else the only one.
PullRef resolve_pull_ref(std::string_view ref, const std::string& endpoint);

struct PullProgress {
  uint64_t done = 0;    // bytes in the partial file
  uint64_t total = 0;   // 0 when unknown
  uint64_t resumed_from = 0;  // bytes already there when this transfer started
  double seconds = 0;   // since this pull started
};

struct PullOptions {
  int max_attempts = 1000;  // transfers per pull (each retry after a dropped connection is one)
  int max_stalled = 5;      // consecutive transfers that add no byte before giving up
  long low_speed_seconds = 30;  // give up a transfer that moves nothing for this long
  std::function<void(const PullProgress&)> on_progress;
  std::function<void(const std::string&)> on_note;  // "resuming at ...", "retrying ..."
};

struct PullResult {
  std::string digest;
  uint64_t size = 0;
  bool digest_stated = false;  // false: the server gave no sha256 to check against
  uint64_t resumed_from = 0;   // bytes kept from an earlier, interrupted pull
};

// Downloads `url` into the store (the blob only; no manifest). A digest mismatch deletes the
// partial file and throws an error naming both digests.
PullResult pull_blob(const Store& store, const std::string& url, const PullOptions& options);

}  // namespace hearth::store
