#include "gguf/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/error.h"

namespace hearth::gguf {
namespace {

class OutFile {
 public:
  OutFile(const std::filesystem::path& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("{}: cannot create: {}", path.string(), std::strerror(errno));
  }
  ~OutFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(const void* p, size_t n) {
    buf_.insert(buf_.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    if (buf_.size() >= (1u << 20)) flush();
  }
  template <typename T>
  void put(T v) {
    write(&v, sizeof(v));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    write(s.data(), s.size());
  }
  void pad_to(uint64_t alignment) {
    static const uint8_t zeros[256] = {};
    uint64_t rem = offset_after_buffer() % alignment;
    uint64_t n = rem ? alignment - rem : 0;
    while (n > 0) {
      size_t k = std::min<uint64_t>(n, sizeof(zeros));
      write(zeros, k);
      n -= k;
    }
  }
  void flush() {
    size_t done = 0;
    while (done < buf_.size()) {
      ssize_t w = ::write(fd_, buf_.data() + done, buf_.size() - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("{}: write failed: {}", path_.string(), std::strerror(errno));
      }
      done += static_cast<size_t>(w);
    }
    written_ += buf_.size();
    buf_.clear();
  }
  void sync_and_close() {
    flush();
    if (::fsync(fd_) != 0) fail("{}: fsync failed: {}", path_.string(), std::strerror(errno));
    if (::close(fd_) != 0) {
      fd_ = -1;
      fail("{}: close failed: {}", path_.string(), std::strerror(errno));
    }
    fd_ = -1;
  }
  uint64_t offset_after_buffer() const { return written_ + buf_.size(); }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
};

void write_value_payload(OutFile& f, const Value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          f.put_string(x);
        } else if constexpr (std::is_same_v<T, Array>) {
          f.put<int32_t>(static_cast<int32_t>(x.elem_type));
          f.put<uint64_t>(x.items.size());
          for (const auto& item : x.items) {
            HEARTH_CHECK(item.type() == x.elem_type, "array element type mismatch");
            write_value_payload(f, item);
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          f.put<uint8_t>(x ? 1 : 0);
        } else {
          f.put<T>(x);
        }
      },
      v.data);
}

}  // namespace

void Writer::set(std::string key, Value value) {
  HEARTH_CHECK(!key.empty(), "empty metadata key");
  remove(key);
  kv_.push_back({std::move(key), std::move(value)});
}

void Writer::remove(std::string_view key) {
  std::erase_if(kv_, [&](const KeyValue& kv) { return kv.key == key; });
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne, Producer producer) {
  const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
  HEARTH_CHECK(info != nullptr, "invalid tensor type");
  HEARTH_CHECK(!ne.empty() && ne.size() <= 4, "tensor '{}' has {} dims", name, ne.size());
  HEARTH_CHECK(ne[0] % info->block_size == 0, "tensor '{}': ne[0] {} not a multiple of {}", name, ne[0],
               info->block_size);
  // Readers (ours and llama.cpp's) reject empty names and names of 64 bytes or more.
  HEARTH_CHECK(!name.empty() && name.size() <= 63, "tensor name '{}' must be 1..63 bytes", name);
  for (const auto& t : tensors_) HEARTH_CHECK(t.name != name, "duplicate tensor '{}'", name);
  uint64_t n = 1;
  for (int64_t d : ne) {
    HEARTH_CHECK(d >= 0, "tensor '{}': negative dimension {}", name, d);
    HEARTH_CHECK(!__builtin_mul_overflow(n, static_cast<uint64_t>(d), &n) && n <= uint64_t(INT64_MAX),
                 "tensor '{}': too many elements", name);
  }
  uint64_t n_bytes = 0;
  HEARTH_CHECK(!__builtin_mul_overflow(n / info->block_size, uint64_t{info->type_size}, &n_bytes),
               "tensor '{}': byte size overflows", name);
  tensors_.push_back({std::move(name), type, std::move(ne), n_bytes, std::move(producer)});
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<int64_t> ne, std::span<const uint8_t> data) {
  auto nm = name;
  add_tensor(std::move(name), type, std::move(ne), [data, nm](std::span<uint8_t> out) {
    HEARTH_CHECK(out.size() == data.size(), "tensor '{}': {} bytes given, {} expected", nm, data.size(), out.size());
    std::memcpy(out.data(), data.data(), data.size());
  });
}

void Writer::write(const std::filesystem::path& path, const std::function<void(size_t, size_t)>& progress) const {
  // The alignment readers will use: general.alignment when present, else 32. A writer
  // constructed with another alignment records it in the file so that the two agree.
  uint64_t alignment = alignment_;
  bool append_alignment_key = false;
  auto kv_alignment =
      std::find_if(kv_.begin(), kv_.end(), [](const KeyValue& kv) { return kv.key == "general.alignment"; });
  if (kv_alignment != kv_.end()) {
    const Value& v = kv_alignment->value;
    if (v.type() != ValueType::UINT32)
      fail("{}: general.alignment must be UINT32, not {}", path.string(), v.type_name());
    alignment = std::get<uint32_t>(v.data);
  } else {
    append_alignment_key = alignment_ != 32;
  }
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    fail("{}: alignment {} is not a non-zero power of two", path.string(), alignment);

  const auto tmp = std::filesystem::path(path.string() + ".tmp-" + std::to_string(::getpid()));
  try {
    OutFile f(tmp);
    f.write("GGUF", 4);
    f.put<uint32_t>(3);
    f.put<int64_t>(static_cast<int64_t>(tensors_.size()));
    f.put<int64_t>(static_cast<int64_t>(kv_.size() + (append_alignment_key ? 1 : 0)));
    for (const auto& kv : kv_) {
      f.put_string(kv.key);
      f.put<int32_t>(static_cast<int32_t>(kv.value.type()));
      write_value_payload(f, kv.value);
    }
    if (append_alignment_key) {
      f.put_string("general.alignment");
      f.put<int32_t>(static_cast<int32_t>(ValueType::UINT32));
      f.put<uint32_t>(alignment_);
    }
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
      f.put_string(t.name);
      // Trailing 1-dims are trimmed like ggml_n_dims (minimum 1).
      uint32_t n_dims = static_cast<uint32_t>(t.ne.size());
      while (n_dims > 1 && t.ne[n_dims - 1] == 1) --n_dims;
      f.put<uint32_t>(n_dims);
      for (uint32_t d = 0; d < n_dims; ++d) f.put<int64_t>(t.ne[d]);
      f.put<uint32_t>(static_cast<uint32_t>(t.type));
      f.put<uint64_t>(offset);
      offset += (t.n_bytes + alignment - 1) / alignment * alignment;
    }
    f.pad_to(alignment);
    std::vector<uint8_t> buf;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const auto& t = tensors_[i];
      buf.assign(t.n_bytes, 0);
      t.producer(buf);
      f.write(buf.data(), buf.size());
      f.pad_to(alignment);
      if (progress) progress(i + 1, tensors_.size());
    }
    f.sync_and_close();
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) fail("{}: cannot rename from {}: {}", path.string(), tmp.string(), ec.message());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

}  // namespace hearth::gguf
