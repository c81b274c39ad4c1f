#include "server/model_info.h"

#include <chrono>

#include "gguf/reader.h"
#include "tensor/ftype.h"

namespace hearth::server {

ModelInfo describe_model_file(const std::filesystem::path& path) {
  ModelInfo info;
  const auto file = gguf::File::open(path);
  info.size_bytes = file.file_size();
  if (auto a = file.get_optional<std::string>("general.architecture")) info.arch = *a;
  info.quantization = "unknown";
  if (auto ft = file.get_int_optional("general.file_type")) {
    for (const auto& f : tensor::all_ftypes())  // compare as integers: the file may hold any value
      if (static_cast<int64_t>(f.ftype) == *ft) info.quantization = std::string(f.name);
  }
  if (!info.arch.empty())
    if (auto n = file.get_int_optional(info.arch + ".context_length")) info.n_ctx_train = *n;
  for (const auto& t : file.tensors()) info.parameters += t.n_elements();
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  if (!ec) {
    // file_clock and system_clock differ by a constant offset (GCC 12 has no clock_cast).
    const auto sys = std::chrono::system_clock::now() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(mtime - std::filesystem::file_time_type::clock::now());
    info.modified_unix = std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
  }
  info.digest = fmt::format("{:016x}{:016x}", info.size_bytes, static_cast<uint64_t>(info.modified_unix));
  return info;
}

std::string parameter_size(int64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f}B", static_cast<double>(n) / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f}M", static_cast<double>(n) / 1e6);
  return fmt::format("{:.2f}K", static_cast<double>(n) / 1e3);
}

}  // namespace hearth::server
