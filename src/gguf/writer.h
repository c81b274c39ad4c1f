#pragma once
// GGUF v3 writer: metadata in insertion order, tensor infos, packed aligned data.
// The file is written to "<path>.tmp-<pid>", fsynced and renamed, so an interrupted
// write never leaves a file at `path` that looks complete.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gguf/types.h"
#include "gguf/value.h"

namespace hearth::gguf {

class Writer {
 public:
  // Fills `out` (exactly the tensor's byte size) with the tensor's data. Called once, in
  // tensor order, so producers (e.g. a quantizer) need only one tensor in memory at a time.
  using Producer = std::function<void(std::span<uint8_t> out)>;

  explicit Writer(uint32_t alignment = 32) : alignment_(alignment) {}

  // Setting an existing key replaces it and moves it to the end (as llama.cpp does).
  void set(std::string key, Value value);
  void remove(std::string_view key);
  const std::vector<KeyValue>& metadata() const { return kv_; }

  void add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne, Producer producer);
  // Convenience: data already in memory (must stay alive until write()).
  void add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne, std::span<const uint8_t> data);

  // Calls progress(i, n) after each tensor when given.
  void write(const std::filesystem::path& path,
             const std::function<void(size_t, size_t)>& progress = {}) const;

 private:
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    uint64_t n_bytes;
    Producer producer;
  };
  uint32_t alignment_;
  std::vector<KeyValue> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace hearth::gguf
