#include "gguf/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace hearth::gguf {
namespace {

constexpr uint64_t kMaxStringLength = 1ull << 30;
constexpr uint64_t kMaxArrayLength = 1ull << 30;
constexpr uint32_t kMaxTensorName = 63;
constexpr int kMaxArrayNesting = 8;

// Bounded little-endian cursor over the file; every read checks the remaining size and
// reports the field being read and where.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  template <typename T>
  T read(std::string_view what) {
    if (remaining() < sizeof(T))
      fail("{}: {} at offset 0x{:x} needs {} bytes, file ends at 0x{:x} (truncated?)", file_, what, pos_,
           sizeof(T), bytes_.size());
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(std::string_view what) {
    const uint64_t at = pos_;
    const uint64_t len = read<uint64_t>(what);
    if (len > kMaxStringLength)
      fail("{}: {} at offset 0x{:x} has length {} (limit {})", file_, what, at, len, kMaxStringLength);
    if (len > remaining())
      fail("{}: {} at offset 0x{:x} has length {} but only {} bytes remain", file_, what, at, len, remaining());
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& file_;
  uint64_t pos_ = 0;
};

bool valid_value_type(int32_t t) { return t >= 0 && t <= 12; }

// Minimum encoded size of one element, used to bound counts by the bytes left.
uint64_t min_encoded_size(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: case ValueType::STRING: return 8;
    case ValueType::ARRAY: return 12;
  }
  return 1;
}

Value read_value(Cursor& c, ValueType t, const std::string& file, const std::string& key, int depth);

Value read_scalar(Cursor& c, ValueType t, const std::string& what) {
  switch (t) {
    case ValueType::UINT8: return c.read<uint8_t>(what);
    case ValueType::INT8: return c.read<int8_t>(what);
    case ValueType::UINT16: return c.read<uint16_t>(what);
    case ValueType::INT16: return c.read<int16_t>(what);
    case ValueType::UINT32: return c.read<uint32_t>(what);
    case ValueType::INT32: return c.read<int32_t>(what);
    case ValueType::FLOAT32: return c.read<float>(what);
    case ValueType::BOOL: return c.read<uint8_t>(what) != 0;
    case ValueType::STRING: return c.read_string(what);
    case ValueType::UINT64: return c.read<uint64_t>(what);
    case ValueType::INT64: return c.read<int64_t>(what);
    case ValueType::FLOAT64: return c.read<double>(what);
    case ValueType::ARRAY: break;
  }
  HEARTH_CHECK(false, "read_scalar called for an array");
}

Value read_value(Cursor& c, ValueType t, const std::string& file, const std::string& key, int depth) {
  const std::string what = fmt::format("value of key '{}'", key);
  if (t != ValueType::ARRAY) return read_scalar(c, t, what);
  if (depth >= kMaxArrayNesting) fail("{}: key '{}': arrays nested deeper than {}", file, key, kMaxArrayNesting);
  const uint64_t at = c.pos();
  const int32_t elem = c.read<int32_t>(fmt::format("array element type of key '{}'", key));
  if (!valid_value_type(elem))
    fail("{}: key '{}' at offset 0x{:x}: invalid array element type {}", file, key, at, elem);
  const uint64_t count = c.read<uint64_t>(fmt::format("array length of key '{}'", key));
  const auto et = static_cast<ValueType>(elem);
  if (count > kMaxArrayLength || count * min_encoded_size(et) > c.remaining())
    fail("{}: key '{}' at offset 0x{:x}: array of {} {} elements does not fit in the {} bytes left", file, key, at,
         count, value_type_name(et), c.remaining());
  Array arr;
  arr.elem_type = et;
  arr.items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (et == ValueType::ARRAY)
      arr.items.push_back(read_value(c, et, file, fmt::format("{}[{}]", key, i), depth + 1));
    else
      arr.items.push_back(read_scalar(c, et, fmt::format("element {} of key '{}'", i, key)));
  }
  return arr;
}

// a * b with overflow detection for non-negative operands.
bool mul_overflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }

}  // namespace

std::string_view value_type_name(ValueType t) {
  static constexpr std::string_view names[] = {"UINT8", "INT8",   "UINT16", "INT16",  "UINT32", "INT32",  "FLOAT32",
                                               "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64",  "FLOAT64"};
  const auto i = static_cast<int32_t>(t);
  return (i >= 0 && i <= 12) ? names[i] : std::string_view("INVALID");
}

std::string Value::type_name() const {
  if (type() != ValueType::ARRAY) return std::string(value_type_name(type()));
  return "ARRAY[" + std::string(value_type_name(std::get<Array>(data).elem_type)) + "]";
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (uint32_t i = 0; i < std::max<uint32_t>(n_dims, 1); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

void fail_key_type(const std::string& file, std::string_view key, std::string_view expected, const Value* found) {
  if (!found) fail("{}: missing metadata key '{}' (expected {})", file, key, expected);
  fail("{}: metadata key '{}' has type {}, expected {}", file, key, found->type_name(), expected);
}

File File::open(const std::filesystem::path& path) {
  File f;
  f.mapping_ = std::make_shared<MappedFile>(path);
  f.bytes_ = f.mapping_->bytes();
  f.name_ = path.string();
  f.parse_all();
  return f;
}

File File::parse(std::span<const uint8_t> bytes, std::string name) {
  File f;
  f.bytes_ = bytes;
  f.name_ = std::move(name);
  f.parse_all();
  return f;
}

void File::parse_all() {
  Cursor c(bytes_, name_);
  const uint32_t magic = c.read<uint32_t>("magic");
  if (std::memcmp(&magic, "GGUF", 4) != 0) {
    fail("{}: not a GGUF file (magic bytes {:02x} {:02x} {:02x} {:02x}, expected 'GGUF')", name_, magic & 0xff,
         (magic >> 8) & 0xff, (magic >> 16) & 0xff, magic >> 24);
  }
  version_ = c.read<uint32_t>("version");
  if ((version_ & 0xffff) == 0 && version_ != 0)
    fail("{}: version field 0x{:08x} looks byte-swapped: big-endian GGUF files are not supported", name_, version_);
  if (version_ == 1) fail("{}: GGUF version 1 is obsolete and not supported (need 2 or 3)", name_);
  if (version_ != 2 && version_ != 3) fail("{}: unsupported GGUF version {} (need 2 or 3)", name_, version_);

  const int64_t n_tensors = c.read<int64_t>("tensor count");
  const int64_t n_kv = c.read<int64_t>("metadata count");
  if (n_tensors < 0 || static_cast<uint64_t>(n_tensors) > c.remaining() / 24)
    fail("{}: tensor count {} is impossible for a file of {} bytes", name_, n_tensors, bytes_.size());
  if (n_kv < 0 || static_cast<uint64_t>(n_kv) > c.remaining() / 12)
    fail("{}: metadata count {} is impossible for a file of {} bytes", name_, n_kv, bytes_.size());

  kv_.reserve(static_cast<size_t>(n_kv));
  for (int64_t i = 0; i < n_kv; ++i) {
    const uint64_t at = c.pos();
    std::string key = c.read_string(fmt::format("key of metadata entry {}", i));
    if (key.empty()) fail("{}: metadata entry {} at offset 0x{:x} has an empty key", name_, i, at);
    if (kv_index_.count(key)) fail("{}: duplicate metadata key '{}' (entry {})", name_, key, i);
    const int32_t type = c.read<int32_t>(fmt::format("value type of key '{}'", key));
    if (!valid_value_type(type)) fail("{}: key '{}': invalid value type {}", name_, key, type);
    Value v = read_value(c, static_cast<ValueType>(type), name_, key, 0);
    kv_index_.emplace(key, kv_.size());
    kv_.push_back({std::move(key), std::move(v)});
  }

  if (const Value* a = find("general.alignment")) {
    if (a->type() != ValueType::UINT32)
      fail("{}: metadata key 'general.alignment' has type {}, expected UINT32", name_, a->type_name());
    const uint32_t al = std::get<uint32_t>(a->data);
    if (al == 0 || (al & (al - 1)) != 0)
      fail("{}: general.alignment = {} is not a non-zero power of two", name_, al);
    alignment_ = al;
  }

  tensors_.reserve(static_cast<size_t>(n_tensors));
  for (int64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    const uint64_t at = c.pos();
    t.name = c.read_string(fmt::format("name of tensor {}", i));
    if (t.name.empty()) fail("{}: tensor {} at offset 0x{:x} has an empty name", name_, i, at);
    if (t.name.size() > kMaxTensorName)
      fail("{}: tensor {} name is {} bytes long (limit {})", name_, i, t.name.size(), kMaxTensorName);
    if (tensor_index_.count(t.name)) fail("{}: duplicate tensor name '{}'", name_, t.name);
    const std::string ctx = fmt::format("{}: tensor '{}'", name_, t.name);
    t.n_dims = c.read<uint32_t>(fmt::format("n_dims of tensor '{}'", t.name));
    if (t.n_dims > 4) fail("{}: n_dims = {} (at most 4)", ctx, t.n_dims);
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      t.ne[d] = c.read<int64_t>(fmt::format("ne[{}] of tensor '{}'", d, t.name));
      if (t.ne[d] < 0) fail("{}: ne[{}] = {} is negative", ctx, d, t.ne[d]);
    }
    const uint32_t type_id = c.read<uint32_t>(fmt::format("type of tensor '{}'", t.name));
    const GgmlTypeInfo* info = ggml_type_info(type_id);
    if (!info) fail("{}: unknown or removed tensor type id {}", ctx, type_id);
    t.type = static_cast<GgmlType>(type_id);
    t.offset = c.read<uint64_t>(fmt::format("offset of tensor '{}'", t.name));

    uint64_t n_el = 1;
    for (int d = 0; d < 4; ++d) {
      if (mul_overflows(n_el, static_cast<uint64_t>(t.ne[d]), n_el) || n_el > uint64_t(INT64_MAX))
        fail("{}: shape {} has too many elements", ctx, t.shape_string());
    }
    if (t.ne[0] % info->block_size != 0)
      fail("{}: row length ne[0] = {} is not a multiple of the {} block size {}", ctx, t.ne[0], info->name,
           info->block_size);
    const uint64_t blocks = n_el / info->block_size;
    if (mul_overflows(blocks, info->type_size, t.n_bytes)) fail("{}: byte size overflows", ctx);
    if (t.offset % alignment_ != 0)
      fail("{}: data offset 0x{:x} is not a multiple of the alignment {}", ctx, t.offset, alignment_);
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  data_offset_ = c.pos();
  if (n_tensors > 0) data_offset_ = (data_offset_ + alignment_ - 1) / alignment_ * alignment_;
  const uint64_t file_size = bytes_.size();
  if (n_tensors > 0 && data_offset_ > file_size)
    fail("{}: data section would start at 0x{:x}, past the end of the file (0x{:x})", name_, data_offset_, file_size);

  // Bounds and overlap: sort by offset and check each [start, end) against the next.
  std::vector<size_t> order(tensors_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  uint64_t prev_end = 0;
  const TensorInfo* prev = nullptr;
  for (size_t idx : order) {
    TensorInfo& t = tensors_[idx];
    uint64_t start = 0, end = 0;
    if (__builtin_add_overflow(data_offset_, t.offset, &start) || __builtin_add_overflow(start, t.n_bytes, &end) ||
        end > file_size) {
      fail("{}: tensor '{}': data [0x{:x}, 0x{:x}) ends past the file (0x{:x})", name_, t.name, data_offset_ + t.offset,
           data_offset_ + t.offset + t.n_bytes, file_size);
    }
    if (prev && t.n_bytes > 0 && start < prev_end)
      fail("{}: tensor '{}' data at 0x{:x} overlaps tensor '{}' (ends 0x{:x})", name_, t.name, start, prev->name,
           prev_end);
    if (t.n_bytes > 0) {
      prev_end = end;
      prev = &t;
    }
    t.data = bytes_.data() + start;
  }
}

const Value* File::find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].value;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
std::optional<int64_t> as_int(const Value& v) {
  switch (v.type()) {
    case ValueType::UINT8: return std::get<uint8_t>(v.data);
    case ValueType::INT8: return std::get<int8_t>(v.data);
    case ValueType::UINT16: return std::get<uint16_t>(v.data);
    case ValueType::INT16: return std::get<int16_t>(v.data);
    case ValueType::UINT32: return std::get<uint32_t>(v.data);
    case ValueType::INT32: return std::get<int32_t>(v.data);
    case ValueType::INT64: return std::get<int64_t>(v.data);
    case ValueType::UINT64: {
      uint64_t u = std::get<uint64_t>(v.data);
      if (u > uint64_t(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    default: return std::nullopt;
  }
}
}  // namespace

std::optional<int64_t> File::get_int_optional(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  auto i = as_int(*v);
  if (!i) fail_key_type(name_, key, "an integer", v);
  return i;
}

int64_t File::get_int(std::string_view key) const {
  auto i = get_int_optional(key);
  if (!i) fail_key_type(name_, key, "an integer", nullptr);
  return *i;
}

std::optional<double> File::get_float_optional(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (v->type() == ValueType::FLOAT32) return std::get<float>(v->data);
  if (v->type() == ValueType::FLOAT64) return std::get<double>(v->data);
  fail_key_type(name_, key, "FLOAT32", v);
}

double File::get_float(std::string_view key) const {
  auto f = get_float_optional(key);
  if (!f) fail_key_type(name_, key, "FLOAT32", nullptr);
  return *f;
}

const Array& File::get_array_value(std::string_view key) const {
  const Value* v = find(key);
  if (!v || v->type() != ValueType::ARRAY) fail_key_type(name_, key, "ARRAY", v);
  return std::get<Array>(v->data);
}

}  // namespace hearth::gguf
