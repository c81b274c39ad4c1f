#pragma once
// SHA-256 (libsodium), incremental so downloads are hashed while they stream.
#include <sodium.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace hearth::store {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> bytes);
  void update(std::string_view bytes);
  std::string hex_digest();  // 64 lowercase hex digits; the hasher is spent afterwards

 private:
  crypto_hash_sha256_state state_;
};

std::string sha256_hex(std::string_view bytes);
// Hashes a whole file (streamed); throws hearth::Error naming the file on read errors.
std::string sha256_file(const std::filesystem::path& path);
// true for exactly 64 lowercase hex digits.
bool is_sha256_hex(std::string_view s);

}  // namespace hearth::store
