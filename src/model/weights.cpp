#include "model/weights.h"

#include <fmt/format.h>

#include "core/error.h"
#include "tensor/quant.h"

namespace hearth::model {
namespace {

class Loader {
 public:
  explicit Loader(const gguf::File& f) : f_(f) {}

  const gguf::TensorInfo* find(const std::string& name, bool required) const {
    const auto* t = f_.find_tensor(name);
    if (!t && required) fail("{}: missing tensor '{}'", f_.name(), name);
    return t;
  }

  void check_shape(const gguf::TensorInfo& t, std::vector<int64_t> expected) const {
    bool ok = true;
    for (size_t d = 0; d < 4; ++d) {
      int64_t want = d < expected.size() ? expected[d] : 1;
      if (t.ne[d] != want) ok = false;
    }
    if (!ok) {
      std::string exp = "[";
      for (size_t d = 0; d < expected.size(); ++d) exp += (d ? ", " : "") + std::to_string(expected[d]);
      fail("{}: tensor '{}' has shape {}, expected {}", f_.name(), t.name, t.shape_string(), exp + "]");
    }
  }

  kernels::Matrix matrix(const std::string& name, int64_t cols, int64_t rows, bool required = true) const {
    const auto* t = find(name, required);
    if (!t) return {};
    check_shape(*t, {cols, rows});
    if (!tensor::can_dequantize(t->type))
      fail("{}: tensor '{}' has type {}, which hearth cannot compute with", f_.name(), name, type_name(t->type));
    return {t->type, t->data, cols, rows, t->row_bytes()};
  }

  FloatVector vec(const std::string& name, int64_t n, bool required = true) const {
    FloatVector v;
    const auto* t = find(name, required);
    if (!t) return v;
    check_shape(*t, {n});
    v.size = n;
    if (t->type == GgmlType::F32) {
      v.data = reinterpret_cast<const float*>(t->data);
    } else {
      if (!tensor::can_dequantize(t->type))
        fail("{}: tensor '{}' has unsupported type {}", f_.name(), name, type_name(t->type));
      v.owned.resize(static_cast<size_t>(n));
      tensor::dequantize_row(t->type, t->data, v.owned.data(), n);
      v.data = v.owned.data();
    }
    return v;
  }

 private:
  const gguf::File& f_;
};

}  // namespace

Weights load_weights(const gguf::File& f, const ArchSpec& arch, HParams& hp) {
  Loader L(f);
  Weights w;
  const auto* emb = L.find("token_embd.weight", true);
  if (emb->ne[0] != hp.n_embd)
    fail("{}: tensor 'token_embd.weight' has shape {}, expected [{}, n_vocab]", f.name(), emb->shape_string(),
         hp.n_embd);
  if (hp.n_vocab != 0 && hp.n_vocab != emb->ne[1])
    fail("{}: vocab_size {} disagrees with token_embd.weight rows {}", f.name(), hp.n_vocab, emb->ne[1]);
  hp.n_vocab = emb->ne[1];
  const int64_t E = hp.n_embd, V = hp.n_vocab;
  w.token_embd = L.matrix("token_embd.weight", E, V);
  w.output_norm = L.vec("output_norm.weight", E);
  w.output = arch.output_tied_only ? kernels::Matrix{} : L.matrix("output.weight", E, V, false);
  if (!w.output.data) {
    w.output = w.token_embd;
    w.tied_output = true;
  }
  w.rope_freqs = L.vec("rope_freqs.weight", hp.n_rot / 2, false);

  const int64_t Dk = hp.head_dim_k, Dv = hp.head_dim_v;
  const int64_t q_dim = hp.q_dim(), k_dim = hp.kv_dim_k(), v_dim = hp.kv_dim_v(), o_dim = hp.n_head * Dv;
  w.layers.resize(static_cast<size_t>(hp.n_layer));
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    auto& l = w.layers[static_cast<size_t>(il)];
    const std::string p = fmt::format("blk.{}.", il);
    l.attn_norm = L.vec(p + "attn_norm.weight", E);
    l.wq = L.matrix(p + "attn_q.weight", E, q_dim);
    l.wk = L.matrix(p + "attn_k.weight", E, k_dim);
    l.wv = L.matrix(p + "attn_v.weight", E, v_dim);
    l.wo = L.matrix(p + "attn_output.weight", o_dim, E);
    l.bq = L.vec(p + "attn_q.bias", q_dim, arch.qkv_bias);
    l.bk = L.vec(p + "attn_k.bias", k_dim, arch.qkv_bias);
    l.bv = L.vec(p + "attn_v.bias", v_dim, arch.qkv_bias);
    l.bo = L.vec(p + "attn_output.bias", E, false);
    if (arch.qk_norm) {
      l.q_norm = L.vec(p + "attn_q_norm.weight", Dk);
      l.k_norm = L.vec(p + "attn_k_norm.weight", Dk);
    }
    l.ffn_norm = L.vec(p + "ffn_norm.weight", E);
    l.ffn_gate = L.matrix(p + "ffn_gate.weight", E, hp.n_ff);
    l.ffn_up = L.matrix(p + "ffn_up.weight", E, hp.n_ff);
    l.ffn_down = L.matrix(p + "ffn_down.weight", hp.n_ff, E);
  }
  return w;
}

}  // namespace hearth::model
