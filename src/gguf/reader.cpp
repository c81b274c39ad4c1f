#include "gguf/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>
#include <unordered_set>

namespace hearth::gguf {
namespace {

constexpr uint64_t kMaxStringLength = 1ull << 30;
constexpr uint64_t kMaxArrayLength = 1ull << 30;
constexpr uint64_t kMaxTensorName = 63;
constexpr int kMaxArrayNesting = 8;
// Counts read from the file are bounded by the bytes left, but for a multi-GiB file that
// bound still allows absurd reservations; reserve at most this many up front and let the
// containers grow with what is actually parsed.
constexpr uint64_t kMaxReserve = 1u << 16;
// Keys and names quoted in error messages come from the (possibly corrupt) file.
constexpr size_t kMaxQuoted = 96;

// `s` made safe to embed in a one-line message: non-printable bytes escaped as \xNN and
// long strings cut (with their length noted).
std::string printable(std::string_view s) {
  std::string out;
  const size_t n = std::min(s.size(), kMaxQuoted);
  for (size_t i = 0; i < n; ++i) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch < 0x7f && ch != '\\')
      out += static_cast<char>(ch);
    else
      out += fmt::format("\\x{:02x}", ch);
  }
  if (s.size() > n) out += fmt::format("...({} bytes)", s.size());
  return out;
}

// A field description is either a string or a callable building one; the callable form
// keeps the hot path (one read per array element) free of string formatting.
template <typename What>
std::string describe(const What& what) {
  if constexpr (std::is_invocable_v<const What&>)
    return what();
  else
    return std::string(what);
}

// Bounded little-endian cursor over the file; every read checks the remaining size and
// reports the field being read and where.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  template <typename T, typename What>
  T read(const What& what) {
    if (remaining() < sizeof(T))
      fail("{}: {} at offset 0x{:x} needs {} bytes, file ends at 0x{:x} (truncated?)", file_, describe(what), pos_,
           sizeof(T), bytes_.size());
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  // A gguf_string; `max_len` is checked before anything is copied.
  template <typename What>
  std::string read_string(const What& what, uint64_t max_len = kMaxStringLength) {
    const uint64_t at = pos_;
    const uint64_t len = read<uint64_t>(what);
    if (len > max_len)
      fail("{}: {} at offset 0x{:x} has length {} (limit {})", file_, describe(what), at, len, max_len);
    if (len > remaining())
      fail("{}: {} at offset 0x{:x} has length {} but only {} bytes remain", file_, describe(what), at, len,
           remaining());
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

template <typename What>
Value read_scalar(Cursor& c, ValueType t, const What& what) {
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

// `key` is already printable(); nested elements are named "key[i]".
Value read_value(Cursor& c, ValueType t, const std::string& file, const std::string& key, int depth) {
  if (t != ValueType::ARRAY) return read_scalar(c, t, [&] { return fmt::format("value of key '{}'", key); });
  if (depth >= kMaxArrayNesting) fail("{}: key '{}': arrays nested deeper than {}", file, key, kMaxArrayNesting);
  const uint64_t at = c.pos();
  const int32_t elem = c.read<int32_t>([&] { return fmt::format("array element type of key '{}'", key); });
  if (!valid_value_type(elem))
    fail("{}: key '{}' at offset 0x{:x}: invalid array element type {}", file, key, at, elem);
  const uint64_t count = c.read<uint64_t>([&] { return fmt::format("array length of key '{}'", key); });
  const auto et = static_cast<ValueType>(elem);
  if (count > kMaxArrayLength || count * min_encoded_size(et) > c.remaining())
    fail("{}: key '{}' at offset 0x{:x}: array of {} {} elements does not fit in the {} bytes left", file, key, at,
         count, value_type_name(et), c.remaining());
  Array arr;
  arr.elem_type = et;
  arr.items.reserve(std::min(count, kMaxReserve));
  for (uint64_t i = 0; i < count; ++i) {
    if (et == ValueType::ARRAY)
      arr.items.push_back(read_value(c, et, file, fmt::format("{}[{}]", key, i), depth + 1));
    else
      arr.items.push_back(read_scalar(c, et, [&] { return fmt::format("element {} of key '{}'", i, key); }));
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
  // Each tensor info needs >= 8+4+4+8 bytes and each KV record >= 8+4 bytes.
  if (n_tensors < 0 || static_cast<uint64_t>(n_tensors) > c.remaining() / 24)
    fail("{}: tensor count {} is impossible for a file of {} bytes", name_, n_tensors, bytes_.size());
  if (n_kv < 0 || static_cast<uint64_t>(n_kv) > c.remaining() / 12)
    fail("{}: metadata count {} is impossible for a file of {} bytes", name_, n_kv, bytes_.size());

  int64_t entry = 0;
  try {
    kv_.reserve(std::min<uint64_t>(static_cast<uint64_t>(n_kv), kMaxReserve));
    for (; entry < n_kv; ++entry) {
      const int64_t i = entry;
      const uint64_t at = c.pos();
      std::string key = c.read_string([&] { return fmt::format("key of metadata entry {}", i); });
      if (key.empty()) fail("{}: metadata entry {} at offset 0x{:x} has an empty key", name_, i, at);
      const std::string qkey = printable(key);
      if (kv_index_.count(key)) fail("{}: duplicate metadata key '{}' (entry {})", name_, qkey, i);
      const uint64_t type_at = c.pos();
      const int32_t type = c.read<int32_t>([&] { return fmt::format("value type of key '{}'", qkey); });
      if (!valid_value_type(type))
        fail("{}: key '{}' at offset 0x{:x}: invalid value type {}", name_, qkey, type_at, type);
      Value v = read_value(c, static_cast<ValueType>(type), name_, qkey, 0);
      kv_index_.emplace(key, kv_.size());
      kv_.push_back({std::move(key), std::move(v)});
    }
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory reading metadata entry {} of {}", name_, entry, n_kv);
  }

  if (const Value* a = find("general.alignment")) {
    if (a->type() != ValueType::UINT32)
      fail("{}: metadata key 'general.alignment' has type {}, expected UINT32", name_, a->type_name());
    const uint32_t al = std::get<uint32_t>(a->data);
    if (al == 0 || (al & (al - 1)) != 0)
      fail("{}: general.alignment = {} is not a non-zero power of two", name_, al);
    alignment_ = al;
  }

  tensors_.reserve(std::min<uint64_t>(static_cast<uint64_t>(n_tensors), kMaxReserve));
  for (int64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    const uint64_t at = c.pos();
    t.name = c.read_string([&] { return fmt::format("name of tensor {}", i); }, kMaxTensorName);
    if (t.name.empty()) fail("{}: tensor {} at offset 0x{:x} has an empty name", name_, i, at);
    const std::string qname = printable(t.name);
    if (tensor_index_.count(t.name)) fail("{}: duplicate tensor name '{}' (tensor {})", name_, qname, i);
    const std::string ctx = fmt::format("{}: tensor '{}'", name_, qname);
    t.n_dims = c.read<uint32_t>([&] { return fmt::format("n_dims of tensor '{}'", qname); });
    if (t.n_dims > 4) fail("{}: n_dims = {} (at most 4)", ctx, t.n_dims);
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      t.ne[d] = c.read<int64_t>([&] { return fmt::format("ne[{}] of tensor '{}'", d, qname); });
      if (t.ne[d] < 0) fail("{}: ne[{}] = {} is negative", ctx, d, t.ne[d]);
    }
    const uint32_t type_id = c.read<uint32_t>([&] { return fmt::format("type of tensor '{}'", qname); });
    const GgmlTypeInfo* info = ggml_type_info(type_id);
    if (!info) fail("{}: unknown or removed tensor type id {}", ctx, type_id);
    t.type = static_cast<GgmlType>(type_id);
    t.offset = c.read<uint64_t>([&] { return fmt::format("offset of tensor '{}'", qname); });

    // Overflow-safe element count. The product of the non-zero dimensions must fit in int64,
    // so that n_elements() and n_rows() cannot overflow whatever the position of a zero
    // (the reference divides by ne[i] here and dies of SIGFPE on a zero).
    uint64_t nonzero = 1;
    bool any_zero = false;
    for (int d = 0; d < 4; ++d) {
      if (t.ne[d] == 0) {
        any_zero = true;
        continue;
      }
      if (mul_overflows(nonzero, static_cast<uint64_t>(t.ne[d]), nonzero) || nonzero > uint64_t(INT64_MAX))
        fail("{}: shape {} has too many elements", ctx, t.shape_string());
    }
    const uint64_t n_el = any_zero ? 0 : nonzero;
    if (t.ne[0] % info->block_size != 0)
      fail("{}: row length ne[0] = {} is not a multiple of the {} block size {}", ctx, t.ne[0], info->name,
           info->block_size);
    const uint64_t blocks = n_el / info->block_size;
    if (mul_overflows(blocks, info->type_size, t.n_bytes) || t.n_bytes > uint64_t(INT64_MAX))
      fail("{}: byte size of shape {} {} overflows", ctx, t.shape_string(), info->name);
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

  // Bounds and overlap: sort by offset and check each [start, end) against the furthest end
  // seen so far (we stop at the first overlap, so that is the previous non-empty tensor).
  std::vector<size_t> order(tensors_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  uint64_t prev_end = 0;
  const TensorInfo* prev = nullptr;
  for (size_t idx : order) {
    TensorInfo& t = tensors_[idx];
    uint64_t start = 0, end = 0;
    if (__builtin_add_overflow(data_offset_, t.offset, &start) || __builtin_add_overflow(start, t.n_bytes, &end)) {
      fail("{}: tensor '{}': data at offset 0x{:x} + 0x{:x} (0x{:x} bytes) ends past the file (0x{:x})", name_,
           printable(t.name), data_offset_, t.offset, t.n_bytes, file_size);
    }
    if (end > file_size)
      fail("{}: tensor '{}': data [0x{:x}, 0x{:x}) ends past the file (0x{:x})", name_, printable(t.name), start, end,
           file_size);
    if (prev && t.n_bytes > 0 && start < prev_end)
      fail("{}: tensor '{}' data at 0x{:x} overlaps tensor '{}' (ends 0x{:x})", name_, printable(t.name), start,
           printable(prev->name), prev_end);
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
