#include "model/forward.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "core/error.h"
#include "tensor/fp16.h"
#include "tensor/quant.h"

namespace hearth::model {
namespace {

void add_bias(float* x, const FloatVector& b, int64_t n_tokens, int64_t dim) {
  if (!b) return;
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t i = 0; i < dim; ++i) x[t * dim + i] += b.data[i];
}

}  // namespace

Forward::Forward(const Model& model, ThreadPool& pool, const kernels::KernelTable& table)
    : model_(model), pool_(pool), table_(table) {}

const std::vector<float>& Forward::run(const Batch& batch) {
  const HParams& hp = model_.hparams();
  const Weights& w = model_.weights();
  const ArchSpec& arch = model_.arch();
  const int64_t T = batch.size();
  HEARTH_CHECK(T > 0, "empty batch");
  const int64_t E = hp.n_embd, F = hp.n_ff;
  const int64_t q_dim = hp.q_dim(), k_dim = hp.kv_dim_k(), v_dim = hp.kv_dim_v(), o_dim = hp.n_head * hp.head_dim_v;

  for (int64_t t = 0; t < T; ++t) {
    const int32_t tok = batch.tokens[static_cast<size_t>(t)];
    if (tok < 0 || tok >= hp.n_vocab) fail("token id {} is out of range (vocabulary has {} tokens)", tok, hp.n_vocab);
    const int64_t pos = batch.positions[static_cast<size_t>(t)];
    KvCache* cache = batch.caches[static_cast<size_t>(t)];
    HEARTH_CHECK(cache != nullptr);
    if (pos < 0 || pos >= cache->capacity())
      fail("position {} does not fit the context of {} tokens", pos, cache->capacity());
  }

  x_.resize(static_cast<size_t>(T * E));
  xn_.resize(static_cast<size_t>(T * std::max(E, o_dim)));
  q_.resize(static_cast<size_t>(T * q_dim));
  k_.resize(static_cast<size_t>(T * k_dim));
  v_.resize(static_cast<size_t>(T * v_dim));
  attn_.resize(static_cast<size_t>(T * o_dim));
  ffn_g_.resize(static_cast<size_t>(T * F));
  ffn_u_.resize(static_cast<size_t>(T * F));
  tmp_.resize(static_cast<size_t>(T * E));

  // Per-pair inverse frequencies, computed iteratively in float like ggml does.
  if (inv_freq_.empty()) {
    const int64_t half = hp.n_rot / 2;
    inv_freq_.resize(static_cast<size_t>(half));
    const float theta_scale = std::pow(hp.rope_freq_base, -2.0f / static_cast<float>(hp.n_rot));
    float f = 1.0f;
    for (int64_t k = 0; k < half; ++k) {
      inv_freq_[static_cast<size_t>(k)] = f;
      f *= theta_scale;
    }
  }

  // Token embeddings: dequantize the rows.
  pool_.parallel_for(T, 8, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const auto tok = batch.tokens[static_cast<size_t>(t)];
      tensor::dequantize_row(w.token_embd.type, w.token_embd.data + tok * w.token_embd.row_stride,
                             x_.data() + t * E, E);
    }
  });

  const kernels::Context kctx{pool_, table_, ws_};
  const auto& ops = table_.ops;
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& l = w.layers[static_cast<size_t>(il)];
    // --- attention ---
    for (int64_t t = 0; t < T; ++t) ops.rms_norm(x_.data() + t * E, l.attn_norm.data, xn_.data() + t * E, E, hp.rms_eps);
    kernels::matmul(kctx, l.wq, xn_.data(), T, q_.data());
    kernels::matmul(kctx, l.wk, xn_.data(), T, k_.data());
    kernels::matmul(kctx, l.wv, xn_.data(), T, v_.data());
    add_bias(q_.data(), l.bq, T, q_dim);
    add_bias(k_.data(), l.bk, T, k_dim);
    add_bias(v_.data(), l.bv, T, v_dim);
    for (int64_t t = 0; t < T; ++t) {
      float* q = q_.data() + t * q_dim;
      float* k = k_.data() + t * k_dim;
      if (arch.qk_norm) {
        for (int64_t h = 0; h < hp.n_head; ++h)
          ops.rms_norm(q + h * hp.head_dim_k, l.q_norm.data, q + h * hp.head_dim_k, hp.head_dim_k, hp.rms_eps);
        for (int64_t h = 0; h < hp.n_head_kv; ++h)
          ops.rms_norm(k + h * hp.head_dim_k, l.k_norm.data, k + h * hp.head_dim_k, hp.head_dim_k, hp.rms_eps);
      }
      const int64_t pos = batch.positions[static_cast<size_t>(t)];
      rope(q, hp.n_head, pos);
      rope(k, hp.n_head_kv, pos);
      batch.caches[static_cast<size_t>(t)]->store(il, pos, k, v_.data() + t * v_dim);
    }
    attention(batch, il);
    kernels::matmul(kctx, l.wo, attn_.data(), T, tmp_.data());
    add_bias(tmp_.data(), l.bo, T, E);
    ops.add(x_.data(), tmp_.data(), T * E);

    // --- feed-forward (SwiGLU) ---
    for (int64_t t = 0; t < T; ++t) ops.rms_norm(x_.data() + t * E, l.ffn_norm.data, xn_.data() + t * E, E, hp.rms_eps);
    kernels::matmul(kctx, l.ffn_gate, xn_.data(), T, ffn_g_.data());
    kernels::matmul(kctx, l.ffn_up, xn_.data(), T, ffn_u_.data());
    ops.silu_mul(ffn_g_.data(), ffn_u_.data(), ffn_g_.data(), T * F);
    kernels::matmul(kctx, l.ffn_down, ffn_g_.data(), T, tmp_.data());
    ops.add(x_.data(), tmp_.data(), T * E);
  }

  // Output norm and LM head for the rows that want logits.
  int64_t n_out = 0;
  for (int64_t t = 0; t < T; ++t) {
    if (!batch.want_logits[static_cast<size_t>(t)]) continue;
    ops.rms_norm(x_.data() + t * E, w.output_norm.data, xn_.data() + n_out * E, E, hp.rms_eps);
    ++n_out;
  }
  hidden_out_.assign(xn_.begin(), xn_.begin() + n_out * E);
  logits_.resize(static_cast<size_t>(n_out * hp.n_vocab));
  if (n_out > 0) kernels::matmul(kctx, w.output, xn_.data(), n_out, logits_.data());
  return logits_;
}

void Forward::rope(float* x, int64_t n_heads, int64_t pos) const {
  const HParams& hp = model_.hparams();
  const FloatVector& ff = model_.weights().rope_freqs;
  const int64_t half = hp.n_rot / 2;
  const bool neox = model_.arch().rope == RopeStyle::Neox;
  const float p = static_cast<float>(pos);
  for (int64_t k = 0; k < half; ++k) {
    float theta = p * inv_freq_[static_cast<size_t>(k)];
    if (ff) theta /= ff.data[k];
    theta *= hp.rope_freq_scale;
    const float c = std::cos(theta), s = std::sin(theta);
    for (int64_t h = 0; h < n_heads; ++h) {
      float* hx = x + h * hp.head_dim_k;
      const int64_t i0 = neox ? k : 2 * k;
      const int64_t i1 = neox ? k + half : 2 * k + 1;
      const float a = hx[i0], b = hx[i1];
      hx[i0] = a * c - b * s;
      hx[i1] = a * s + b * c;
    }
  }
}

void Forward::attention(const Batch& batch, int64_t layer) {
  const HParams& hp = model_.hparams();
  const int64_t T = batch.size();
  const int64_t H = hp.n_head, Dk = hp.head_dim_k, Dv = hp.head_dim_v;
  const int64_t group = hp.n_head / hp.n_head_kv;
  const int64_t q_dim = hp.q_dim(), o_dim = H * Dv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(Dk));
  int64_t max_ctx = 0;
  for (int64_t t = 0; t < T; ++t) max_ctx = std::max(max_ctx, batch.positions[static_cast<size_t>(t)] + 1);
  const auto& ops = table_.ops;

  std::atomic<int64_t> next{0};
  const int64_t n_items = T * H;
  pool_.run([&](int, int) {
    std::vector<float> scores(static_cast<size_t>(max_ctx));
    for (;;) {
      const int64_t item = next.fetch_add(1, std::memory_order_relaxed);
      if (item >= n_items) break;
      const int64_t t = item / H, h = item % H, hkv = h / group;
      const KvCache& cache = *batch.caches[static_cast<size_t>(t)];
      const int64_t n_ctx = batch.positions[static_cast<size_t>(t)] + 1;  // causal: keys 0..pos
      const float* q = q_.data() + t * q_dim + h * Dk;
      const bool f16 = cache.type() == KvType::F16;
      float mx = -INFINITY;
      for (int64_t j = 0; j < n_ctx; ++j) {
        const uint8_t* kr = cache.k_row(layer, j) + static_cast<size_t>(hkv * Dk) * cache.elem_bytes();
        const float s = f16 ? ops.dot_f32_f16(q, reinterpret_cast<const uint16_t*>(kr), Dk)
                            : ops.dot_f32(q, reinterpret_cast<const float*>(kr), Dk);
        scores[static_cast<size_t>(j)] = s * scale;
        mx = std::max(mx, scores[static_cast<size_t>(j)]);
      }
      double sum = 0.0;
      for (int64_t j = 0; j < n_ctx; ++j) {
        const float e = std::exp(scores[static_cast<size_t>(j)] - mx);
        scores[static_cast<size_t>(j)] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
      float* out = attn_.data() + t * o_dim + h * Dv;
      std::fill(out, out + Dv, 0.0f);
      for (int64_t j = 0; j < n_ctx; ++j) {
        const uint8_t* vr = cache.v_row(layer, j) + static_cast<size_t>(hkv * Dv) * cache.elem_bytes();
        const float p = scores[static_cast<size_t>(j)] * inv;
        if (f16)
          ops.axpy_f16(p, reinterpret_cast<const uint16_t*>(vr), out, Dv);
        else
          ops.axpy(p, reinterpret_cast<const float*>(vr), out, Dv);
      }
    }
  });
}

}  // namespace hearth::model
