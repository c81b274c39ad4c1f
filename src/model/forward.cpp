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
  const auto& ops = table_.ops;

  // Work items: runs of consecutive rows of one sequence, cut into blocks, times heads. F16
  // caches use llama.cpp's flash-attention algorithms, chosen per sequence by how many of its
  // rows this batch holds (see kernels/attention.h); F32 caches use a plain two-pass softmax.
  struct Block { int64_t t0, n; bool tiled; };
  std::vector<Block> blocks;
  std::vector<int64_t> n_keys(static_cast<size_t>(T));
  int64_t max_ctx = 0;
  for (int64_t t = 0; t < T; ++t) {
    n_keys[static_cast<size_t>(t)] = batch.positions[static_cast<size_t>(t)] + 1;  // causal: keys 0..pos
    max_ctx = std::max(max_ctx, n_keys[static_cast<size_t>(t)]);
  }
  for (int64_t t0 = 0; t0 < T;) {
    const KvCache* cache = batch.caches[static_cast<size_t>(t0)];
    int64_t t1 = t0 + 1;
    while (t1 < T && batch.caches[static_cast<size_t>(t1)] == cache) ++t1;
    const int64_t rows_of_seq = std::count(batch.caches.begin(), batch.caches.end(), cache);
    const bool tiled = rows_of_seq >= kernels::kAttnTiledMinRows;
    const int64_t block = cache->type() == KvType::F16 && tiled ? 16 : 1;
    for (int64_t t = t0; t < t1; t += block) blocks.push_back({t, std::min(block, t1 - t), tiled});
    t0 = t1;
  }

  std::atomic<int64_t> next{0};
  const int64_t n_items = static_cast<int64_t>(blocks.size()) * H;
  pool_.run([&](int, int) {
    std::vector<float> scores(static_cast<size_t>(max_ctx));
    for (;;) {
      const int64_t item = next.fetch_add(1, std::memory_order_relaxed);
      if (item >= n_items) break;
      const Block& blk = blocks[static_cast<size_t>(item / H)];
      const int64_t h = item % H, hkv = h / group;
      const KvCache& cache = *batch.caches[static_cast<size_t>(blk.t0)];
      const float* q = q_.data() + blk.t0 * q_dim + h * Dk;
      float* out = attn_.data() + blk.t0 * o_dim + h * Dv;
      if (cache.type() == KvType::F16) {
        kernels::AttnF16Job job;
        job.q = q;
        job.q_stride = q_dim;
        job.n_q = blk.n;
        job.n_keys = n_keys.data() + blk.t0;
        job.k = reinterpret_cast<const uint16_t*>(cache.k_row(layer, 0)) + hkv * Dk;
        job.v = reinterpret_cast<const uint16_t*>(cache.v_row(layer, 0)) + hkv * Dv;
        job.k_stride = static_cast<int64_t>(cache.k_row_bytes() / sizeof(uint16_t));
        job.v_stride = static_cast<int64_t>(cache.v_row_bytes() / sizeof(uint16_t));
        job.dk = Dk;
        job.dv = Dv;
        job.scale = scale;
        job.out = out;
        job.out_stride = o_dim;
        job.tiled = blk.tiled;
        ops.attend_f16(job);
        continue;
      }
      const int64_t n_ctx = n_keys[static_cast<size_t>(blk.t0)];
      float mx = -INFINITY;
      for (int64_t j = 0; j < n_ctx; ++j) {
        const float* kr = reinterpret_cast<const float*>(cache.k_row(layer, j)) + hkv * Dk;
        scores[static_cast<size_t>(j)] = ops.dot_f32(q, kr, Dk) * scale;
        mx = std::max(mx, scores[static_cast<size_t>(j)]);
      }
      double sum = 0.0;
      for (int64_t j = 0; j < n_ctx; ++j) {
        const float e = std::exp(scores[static_cast<size_t>(j)] - mx);
        scores[static_cast<size_t>(j)] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
      std::fill(out, out + Dv, 0.0f);
      for (int64_t j = 0; j < n_ctx; ++j) {
        const float* vr = reinterpret_cast<const float*>(cache.v_row(layer, j)) + hkv * Dv;
        ops.axpy(scores[static_cast<size_t>(j)] * inv, vr, out, Dv);
      }
    }
  });
}

}  // namespace hearth::model
