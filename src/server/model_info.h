#pragma once
// What the model listings say about a GGUF file (read from its header, without loading it).
#include <cstdint>
#include <filesystem>
#include <string>

#include "server/request_options.h"

namespace hearth::server {

struct ModelInfo {
  std::string arch;           // general.architecture
  std::string quantization;   // "Q4_K_M", from general.file_type ("unknown" when absent)
  int64_t parameters = 0;     // weight elements
  int64_t n_ctx_train = 0;
  uint64_t size_bytes = 0;
  int64_t modified_unix = 0;  // file modification time
  std::string digest;         // "sha256-like" identity: size + mtime (hearth does not hash the whole file here)
};

ModelInfo describe_model_file(const std::filesystem::path& path);
// "494.03M", "1.10B"
std::string parameter_size(int64_t n);

}  // namespace hearth::server
