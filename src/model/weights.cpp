#include "model/weights.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "core/cpu_features.h"
#include "core/error.h"
#include "core/thread_pool.h"
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

namespace {

// Drops the resident pages wholly inside [p, p + n) of the read-only file mapping; a later
// read (e.g. a tool reading the raw tensor) faults them back in from the file.
void release_mapped_range(const uint8_t* p, size_t n) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

int repack_weights(Weights& w, const kernels::KernelTable& table, bool release_file_pages) {
  std::vector<kernels::Matrix*> todo;
  auto consider = [&](kernels::Matrix& m) {
    if (!m.data || m.layout != kernels::Layout::Rows) return;
    const kernels::TypeKernels& tk = table.types[static_cast<size_t>(m.type)];
    if (!tk.pack_preferred || !tk.pack_group || m.rows % tk.pack_rows != 0) return;
    todo.push_back(&m);
  };
  for (auto& l : w.layers)
    for (kernels::Matrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) consider(*m);
  if (!w.tied_output) consider(w.output);
  if (todo.empty()) return 0;

  ThreadPool pool(physical_core_count());
  for (kernels::Matrix* m : todo) {
    const kernels::TypeKernels& tk = table.types[static_cast<size_t>(m->type)];
    const size_t gs = tk.pack_group_bytes(m->cols);
    const int64_t n_groups = m->rows / tk.pack_rows;
    void* p = std::aligned_alloc(64, gs * static_cast<size_t>(n_groups));
    if (!p) throw std::bad_alloc();
    auto* dst = static_cast<uint8_t*>(p);
    w.packed_buffers.emplace_back(dst);
    const kernels::Matrix src = *m;
    const size_t group_src_bytes = static_cast<size_t>(tk.pack_rows) * src.row_stride;
    // Slabs of groups, each released right after it is packed: the resident peak stays the
    // model plus one slab (about the model size even for a large untied output matrix).
    constexpr int64_t kSlabGroups = 64;
    for (int64_t s0 = 0; s0 < n_groups; s0 += kSlabGroups) {
      const int64_t s1 = std::min(n_groups, s0 + kSlabGroups);
      pool.parallel_for(s1 - s0, 4, [&](int64_t g0, int64_t g1) {
        for (int64_t g = s0 + g0; g < s0 + g1; ++g)
          tk.pack_group(src.cols, src.data + g * group_src_bytes, src.row_stride, dst + g * gs);
      });
      // Never on caller memory: MADV_DONTNEED would zero anonymous pages.
      if (release_file_pages)
        release_mapped_range(src.data + s0 * group_src_bytes, static_cast<size_t>(s1 - s0) * group_src_bytes);
    }
    m->data = dst;
    m->layout = kernels::Layout::Packed;
    m->group_stride = gs;
  }
  return static_cast<int>(todo.size());
}

}  // namespace hearth::model
