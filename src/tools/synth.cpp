#include "tools/synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "sampling/rng.h"
#include "tensor/quant.h"
#include "tensor/quantize_model.h"

namespace hearth::tools {
namespace {

constexpr std::array<ModelShape, 4> kShapes = {{
    {"tinyllama-1.1b", "llama", 2048, 22, 32, 4, 5632, 32000, 2048, 10000.0f, 1e-5f, false, false, false},
    {"llama-3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 131072, 500000.0f, 1e-5f, true, false, true},
    {"qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 32768, 1000000.0f, 1e-6f, true, true, false},
    {"llama-2-7b", "llama", 4096, 32, 32, 32, 11008, 32000, 4096, 10000.0f, 1e-5f, false, false, false},
}};

enum class Fill { Normal, Ones };

struct SynthTensor {
  std::string name;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  int n_dims = 1;
  Fill fill = Fill::Normal;
  float scale = 0.02f;
};

std::vector<SynthTensor> tensor_list(const ModelShape& s) {
  std::vector<SynthTensor> t;
  const int64_t E = s.n_embd, hd = s.n_embd / s.n_head, kv = hd * s.n_head_kv;
  auto mat = [&](std::string name, int64_t cols, int64_t rows) { t.push_back({std::move(name), {cols, rows, 1, 1}, 2}); };
  auto vec = [&](std::string name, int64_t n, Fill f) { t.push_back({std::move(name), {n, 1, 1, 1}, 1, f}); };
  mat("token_embd.weight", E, s.n_vocab);
  vec("output_norm.weight", E, Fill::Ones);
  if (!s.tied_output) mat("output.weight", E, s.n_vocab);
  if (s.rope_freqs) vec("rope_freqs.weight", hd / 2, Fill::Ones);
  for (int64_t il = 0; il < s.n_layer; ++il) {
    const std::string p = fmt::format("blk.{}.", il);
    vec(p + "attn_norm.weight", E, Fill::Ones);
    mat(p + "attn_q.weight", E, E);
    mat(p + "attn_k.weight", E, kv);
    mat(p + "attn_v.weight", E, kv);
    if (s.qkv_bias) {
      vec(p + "attn_q.bias", E, Fill::Normal);
      vec(p + "attn_k.bias", kv, Fill::Normal);
      vec(p + "attn_v.bias", kv, Fill::Normal);
    }
    mat(p + "attn_output.weight", E, E);
    vec(p + "ffn_norm.weight", E, Fill::Ones);
    mat(p + "ffn_gate.weight", E, s.n_ff);
    mat(p + "ffn_up.weight", E, s.n_ff);
    mat(p + "ffn_down.weight", s.n_ff, E);
  }
  std::stable_sort(t.begin(), t.end(),
                   [](const SynthTensor& a, const SynthTensor& b) { return tensor::tensor_order_less(a.name, b.name); });
  return t;
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// One row of N(0, scale^2) values from the row's own stream (Box-Muller).
void fill_row(float* dst, int64_t n, uint64_t seed, float scale) {
  sampling::Rng rng(seed);
  for (int64_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    dst[i] = static_cast<float>(r * std::cos(2 * M_PI * u2)) * scale;
    if (i + 1 < n) dst[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2)) * scale;
  }
}

// Copies tokenizer.* keys, padding the vocabulary arrays up to n_vocab with unused tokens.
void copy_tokenizer(const gguf::File& vocab, int64_t n_vocab, gguf::Writer& w) {
  const auto tokens = vocab.get_array<std::string>("tokenizer.ggml.tokens");
  if (static_cast<int64_t>(tokens.size()) > n_vocab)
    fail("{}: vocabulary has {} tokens, more than the shape's {}: pick a smaller vocabulary", vocab.name(),
         tokens.size(), n_vocab);
  const size_t pad = static_cast<size_t>(n_vocab) - tokens.size();
  for (const auto& kv : vocab.metadata()) {
    if (kv.key.rfind("tokenizer.", 0) != 0) continue;
    gguf::Value v = kv.value;
    if (pad > 0 && v.type() == gguf::ValueType::ARRAY &&
        (kv.key == "tokenizer.ggml.tokens" || kv.key == "tokenizer.ggml.scores" ||
         kv.key == "tokenizer.ggml.token_type")) {
      auto& a = std::get<gguf::Array>(v.data);
      for (size_t i = 0; i < pad; ++i) {
        if (kv.key == "tokenizer.ggml.tokens")
          a.items.emplace_back(fmt::format("<unused{}>", i));
        else if (kv.key == "tokenizer.ggml.scores")
          a.items.emplace_back(-1e9f);
        else
          a.items.emplace_back(int32_t{5});  // UNUSED
      }
    }
    w.set(kv.key, std::move(v));
  }
}

}  // namespace

std::span<const ModelShape> known_shapes() { return kShapes; }

const ModelShape* find_shape(std::string_view name) {
  for (const auto& s : kShapes)
    if (s.name == name) return &s;
  return nullptr;
}

void synthesize(const SynthOptions& opts, const std::filesystem::path& out, ThreadPool& pool,
                const std::function<void(size_t, size_t)>& on_tensor) {
  const ModelShape* s = find_shape(opts.shape);
  if (!s) {
    std::string names;
    for (const auto& k : kShapes) names += (names.empty() ? "" : ", ") + std::string(k.name);
    fail("unknown shape '{}' (known: {})", opts.shape, names);
  }
  if (!tensor::can_quantize_ftype(opts.ftype))
    fail("hearth cannot produce file type {}", tensor::ftype_name(opts.ftype));
  const auto vocab = gguf::File::open(opts.vocab);

  gguf::Writer w;
  const std::string a(s->arch);
  w.set("general.architecture", a);
  w.set("general.name", fmt::format("synth-{}", s->name));
  w.set("general.description", fmt::format("random weights, seed {}, made by hearth synth", opts.seed));
  w.set(a + ".context_length", static_cast<uint32_t>(s->n_ctx));
  w.set(a + ".embedding_length", static_cast<uint32_t>(s->n_embd));
  w.set(a + ".block_count", static_cast<uint32_t>(s->n_layer));
  w.set(a + ".feed_forward_length", static_cast<uint32_t>(s->n_ff));
  w.set(a + ".attention.head_count", static_cast<uint32_t>(s->n_head));
  w.set(a + ".attention.head_count_kv", static_cast<uint32_t>(s->n_head_kv));
  w.set(a + ".attention.layer_norm_rms_epsilon", s->rms_eps);
  w.set(a + ".rope.freq_base", s->rope_base);
  w.set(a + ".rope.dimension_count", static_cast<uint32_t>(s->n_embd / s->n_head));
  w.set(a + ".vocab_size", static_cast<uint32_t>(s->n_vocab));
  copy_tokenizer(vocab, s->n_vocab, w);
  w.set("general.quantization_version", tensor::kQuantizationVersion);
  w.set("general.file_type", static_cast<uint32_t>(opts.ftype));

  const auto list = tensor_list(*s);
  tensor::ModelFacts facts;
  facts.arch = a;
  facts.n_layer = s->n_layer;
  facts.n_head = s->n_head;
  facts.n_head_kv = s->n_head_kv;
  facts.has_output = !s->tied_output;
  facts.n_attn_v = static_cast<int>(s->n_layer);
  tensor::TypeSelector selector(opts.ftype, facts);
  for (const auto& t : list) {
    const GgmlType type = selector.select(t.name, GgmlType::F32, t.ne);
    const uint64_t tseed = opts.seed ^ fnv1a(t.name);
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    w.add_tensor(t.name, type, ne, [&pool, t, type, tseed](std::span<uint8_t> outb) {
      const int64_t cols = t.ne[0], rows = t.ne[1] * t.ne[2] * t.ne[3];
      const size_t rb = row_size(type, cols);
      pool.parallel_for(rows, 16, [&](int64_t r0, int64_t r1) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
          if (t.fill == Fill::Ones)
            std::fill(row.begin(), row.end(), 1.0f);
          else
            fill_row(row.data(), cols, tseed + static_cast<uint64_t>(r) * 0x9e3779b97f4a7c15ull, t.scale);
          if (type == GgmlType::F32)
            std::memcpy(outb.data() + r * rb, row.data(), rb);
          else
            tensor::quantize_row(type, row.data(), outb.data() + r * rb, cols);
        }
      });
    });
  }
  w.write(out, on_tensor);
}

}  // namespace hearth::tools
