#include "model/hparams.h"

#include "core/error.h"

namespace hearth::model {
namespace {

int64_t positive(const gguf::File& f, const std::string& key, int64_t v) {
  if (v <= 0) fail("{}: {} = {} must be positive", f.name(), key, v);
  if (v > (int64_t{1} << 31)) fail("{}: {} = {} is implausibly large", f.name(), key, v);
  return v;
}

// Per-layer arrays are allowed for some keys; hearth supports uniform values only.
int64_t uniform_int(const gguf::File& f, const std::string& key) {
  const gguf::Value* v = f.find(key);
  if (v && v->type() == gguf::ValueType::ARRAY) {
    const auto& a = std::get<gguf::Array>(v->data);
    if (a.items.empty()) fail("{}: {} is an empty array", f.name(), key);
    auto first = a.items[0];
    for (const auto& item : a.items)
      if (item.data != first.data) fail("{}: {} varies per layer, which is not supported", f.name(), key);
    if (first.type() == gguf::ValueType::UINT32) return std::get<uint32_t>(first.data);
    if (first.type() == gguf::ValueType::INT32) return std::get<int32_t>(first.data);
    fail("{}: {} has type {}, expected UINT32 values", f.name(), key, v->type_name());
  }
  return f.get_int(key);
}

}  // namespace

HParams read_hparams(const gguf::File& f, const ArchSpec& arch) {
  HParams hp;
  hp.arch = std::string(arch.name);
  const std::string p = hp.arch + ".";
  hp.n_ctx_train = positive(f, p + "context_length", f.get_int(p + "context_length"));
  hp.n_embd = positive(f, p + "embedding_length", f.get_int(p + "embedding_length"));
  hp.n_layer = positive(f, p + "block_count", f.get_int(p + "block_count"));
  hp.n_ff = positive(f, p + "feed_forward_length", uniform_int(f, p + "feed_forward_length"));
  hp.n_head = positive(f, p + "attention.head_count", uniform_int(f, p + "attention.head_count"));
  hp.n_head_kv = f.has(p + "attention.head_count_kv") ? uniform_int(f, p + "attention.head_count_kv") : hp.n_head;
  positive(f, p + "attention.head_count_kv", hp.n_head_kv);
  if (hp.n_head % hp.n_head_kv != 0)
    fail("{}: head_count {} is not a multiple of head_count_kv {}", f.name(), hp.n_head, hp.n_head_kv);
  hp.head_dim_k = f.get_int_optional(p + "attention.key_length").value_or(hp.n_embd / hp.n_head);
  hp.head_dim_v = f.get_int_optional(p + "attention.value_length").value_or(hp.n_embd / hp.n_head);
  positive(f, p + "attention.key_length", hp.head_dim_k);
  positive(f, p + "attention.value_length", hp.head_dim_v);
  hp.n_rot = f.get_int_optional(p + "rope.dimension_count").value_or(hp.head_dim_k);
  if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim_k || hp.n_rot % 2 != 0)
    fail("{}: rope.dimension_count = {} is invalid for head size {}", f.name(), hp.n_rot, hp.head_dim_k);
  hp.rope_freq_base = static_cast<float>(f.get_float_optional(p + "rope.freq_base").value_or(10000.0));
  double factor = f.get_float_optional(p + "rope.scaling.factor").value_or(0.0);
  if (factor == 0.0) factor = f.get_float_optional(p + "rope.scale_linear").value_or(0.0);
  if (auto type = f.get_optional<std::string>(p + "rope.scaling.type")) {
    if (*type != "none" && *type != "linear")
      fail("{}: rope.scaling.type '{}' is not supported (supported: none, linear)", f.name(), *type);
    if (*type == "none") factor = 0.0;
  }
  hp.rope_freq_scale = factor > 0.0 ? static_cast<float>(1.0 / factor) : 1.0f;
  hp.rms_eps = static_cast<float>(
      f.get_float_optional(p + "attention.layer_norm_rms_epsilon").value_or(arch.default_rms_eps));
  if (!(hp.rms_eps > 0.0f)) fail("{}: layer_norm_rms_epsilon must be positive", f.name());
  if (auto v = f.get_int_optional(p + "vocab_size")) hp.n_vocab = *v;
  return hp;
}

}  // namespace hearth::model
