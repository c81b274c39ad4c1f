#pragma once
// GGUF metadata values: the 13 value types, arrays (possibly nested when reading), and
// typed access that names the key and the type actually found on mismatch.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hearth::gguf {

enum class ValueType : int32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
std::string_view value_type_name(ValueType t);

struct Value;
struct Array {
  ValueType elem_type = ValueType::UINT8;
  std::vector<Value> items;
};

struct Value {
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                               std::string, Array, uint64_t, int64_t, double>;
  Storage data;

  Value() : data(uint8_t{0}) {}
  template <typename T>
  Value(T v) : data(std::move(v)) {}  // NOLINT: implicit on purpose (set("k", uint32_t{3}))
  Value(const char* s) : data(std::string(s)) {}

  ValueType type() const { return static_cast<ValueType>(data.index()); }
  std::string type_name() const;  // "UINT32", "ARRAY[STRING]", ...
};

bool operator==(const Value& a, const Value& b);
inline bool operator==(const Array& a, const Array& b) { return a.elem_type == b.elem_type && a.items == b.items; }
inline bool operator==(const Value& a, const Value& b) { return a.data == b.data; }

// Maps a C++ type onto the GGUF type that stores it exactly.
template <typename T> struct ValueTypeOf;
template <> struct ValueTypeOf<uint8_t> { static constexpr ValueType value = ValueType::UINT8; };
template <> struct ValueTypeOf<int8_t> { static constexpr ValueType value = ValueType::INT8; };
template <> struct ValueTypeOf<uint16_t> { static constexpr ValueType value = ValueType::UINT16; };
template <> struct ValueTypeOf<int16_t> { static constexpr ValueType value = ValueType::INT16; };
template <> struct ValueTypeOf<uint32_t> { static constexpr ValueType value = ValueType::UINT32; };
template <> struct ValueTypeOf<int32_t> { static constexpr ValueType value = ValueType::INT32; };
template <> struct ValueTypeOf<float> { static constexpr ValueType value = ValueType::FLOAT32; };
template <> struct ValueTypeOf<bool> { static constexpr ValueType value = ValueType::BOOL; };
template <> struct ValueTypeOf<std::string> { static constexpr ValueType value = ValueType::STRING; };
template <> struct ValueTypeOf<uint64_t> { static constexpr ValueType value = ValueType::UINT64; };
template <> struct ValueTypeOf<int64_t> { static constexpr ValueType value = ValueType::INT64; };
template <> struct ValueTypeOf<double> { static constexpr ValueType value = ValueType::FLOAT64; };

struct KeyValue {
  std::string key;
  Value value;
};

}  // namespace hearth::gguf
