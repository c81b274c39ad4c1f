#pragma once
// GGUF v2/v3 reader. The file is memory-mapped; every count, length, dimension, type id
// and offset is validated against the file size before use, and every failure is a
// hearth::Error whose message starts with the file name and names the offending field.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/mapped_file.h"
#include "gguf/types.h"
#include "gguf/value.h"

namespace hearth::gguf {

struct TensorInfo {
  std::string name;
  uint32_t n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;  // relative to the data section
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // into the mapping

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return row_size(type, ne[0]); }
  std::span<const uint8_t> bytes() const { return {data, static_cast<size_t>(n_bytes)}; }
  std::string shape_string() const;  // "[256, 4096]"
};

class File {
 public:
  static constexpr uint32_t kDefaultAlignment = 32;

  // Maps and parses `path`; throws hearth::Error on any problem.
  static File open(const std::filesystem::path& path);
  // Parses bytes owned by the caller (must outlive the File); `name` prefixes errors.
  static File parse(std::span<const uint8_t> bytes, std::string name);

  const std::string& name() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }
  std::span<const uint8_t> bytes() const { return bytes_; }
  // True when the bytes are a read-only mapping of the file (open), not caller memory (parse).
  bool is_mapped() const { return mapping_ != nullptr; }

  const std::vector<KeyValue>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Exact-type access: get<uint32_t>("llama.block_count"). Missing key or another stored
  // type is an error naming the key, the expected and the found type.
  template <typename T>
  const T& get(std::string_view key) const;
  template <typename T>
  std::optional<T> get_optional(std::string_view key) const;
  // Integer access that accepts any integer type and range-checks the conversion
  // (converters disagree on INT32 vs UINT32 for some keys).
  int64_t get_int(std::string_view key) const;
  std::optional<int64_t> get_int_optional(std::string_view key) const;
  double get_float(std::string_view key) const;  // FLOAT32 or FLOAT64
  std::optional<double> get_float_optional(std::string_view key) const;
  // Arrays of scalars or strings, element type checked.
  template <typename T>
  std::vector<T> get_array(std::string_view key) const;
  const Array& get_array_value(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;

 private:
  File() = default;
  void parse_all();

  std::shared_ptr<MappedFile> mapping_;
  std::span<const uint8_t> bytes_;
  std::string name_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

[[noreturn]] void fail_key_type(const std::string& file, std::string_view key, std::string_view expected,
                                const Value* found);

template <typename T>
const T& File::get(std::string_view key) const {
  const Value* v = find(key);
  if (!v || v->type() != ValueTypeOf<T>::value)
    fail_key_type(name_, key, value_type_name(ValueTypeOf<T>::value), v);
  return std::get<T>(v->data);
}

template <typename T>
std::optional<T> File::get_optional(std::string_view key) const {
  if (!find(key)) return std::nullopt;
  return get<T>(key);
}

template <typename T>
std::vector<T> File::get_array(std::string_view key) const {
  const Array& a = get_array_value(key);
  if (a.elem_type != ValueTypeOf<T>::value)
    fail_key_type(name_, key, std::string("ARRAY[") + std::string(value_type_name(ValueTypeOf<T>::value)) + "]",
                  find(key));
  std::vector<T> out;
  out.reserve(a.items.size());
  for (const auto& item : a.items) out.push_back(std::get<T>(item.data));
  return out;
}

}  // namespace hearth::gguf
