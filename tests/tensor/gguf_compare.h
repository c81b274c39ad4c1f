#pragma once
// Comparison helpers for GGUF metadata and tensors, shared by the tensor tests.
#include <cstring>
#include <string>

#include "gguf/reader.h"

namespace hearth::test {

// Exact equality: same type, same value (floats compared by bits), arrays element-wise.
inline bool same_value(const gguf::Value& a, const gguf::Value& b) {
  if (a.type() != b.type()) return false;
  return std::visit(
      [&](const auto& x) {
        using X = std::decay_t<decltype(x)>;
        const auto& y = std::get<X>(b.data);
        if constexpr (std::is_same_v<X, gguf::Array>) {
          if (x.elem_type != y.elem_type || x.items.size() != y.items.size()) return false;
          for (size_t i = 0; i < x.items.size(); ++i)
            if (!same_value(x.items[i], y.items[i])) return false;
          return true;
        } else if constexpr (std::is_floating_point_v<X>) {
          return std::memcmp(&x, &y, sizeof x) == 0;
        } else {
          return x == y;
        }
      },
      a.data);
}

// "" when the metadata lists are identical (keys, order, types, values), else the first difference.
inline std::string metadata_difference(const std::vector<gguf::KeyValue>& a, const std::vector<gguf::KeyValue>& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i].key != b[i].key) return "key #" + std::to_string(i) + ": '" + a[i].key + "' vs '" + b[i].key + "'";
    if (!same_value(a[i].value, b[i].value))
      return "value of '" + a[i].key + "' (" + a[i].value.type_name() + " vs " + b[i].value.type_name() + ")";
  }
  if (a.size() != b.size()) return "key count " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  return "";
}

}  // namespace hearth::test
