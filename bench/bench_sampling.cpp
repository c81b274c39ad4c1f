// Sampling cost per token on the full 32k-token llama-spm vocabulary
// (../shared/tokenizer/ggml-vocab-llama-spm.gguf, or $HEARTH_SHARED/tokenizer/...):
//   BM_Sample/<case>      one sample() + accept() per iteration, i.e. the time is µs/token:
//     greedy, default chain (penalties, top-k 40, top-p .95, min-p .05, temp .8), default chain
//     under a JSON-schema grammar (bounded object: strings, integers, enum, array), and the same
//     with the per-state mask memo turned off (a trie walk every token).
//   BM_GrammarMask/<case> computing one allowed-token mask, inside a string value (almost all
//     tokens fit) and before an object key (few do): trie walk vs checking every token on its
//     own (both with cached byte transitions), and a cold start (fresh matcher and caches).
// Before timing, the grammar cases check that the trie mask equals the per-token mask and
// that constrained generations parse as JSON.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "sampling/grammar/filter.h"
#include "sampling/grammar/json_schema.h"
#include "sampling/grammar_vocab.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace hearth::sampling {
namespace {

const char* kSchema = R"({"type":"object","properties":{
  "name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":150},
  "email":{"type":"string","maxLength":24},"role":{"enum":["admin","user","guest"]},
  "tags":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":3},"active":{"type":"boolean"}},
  "required":["name","age","role","tags","active"]})";

struct Setup {
  std::string error;
  std::unique_ptr<tokenizer::Tokenizer> tok;
  std::shared_ptr<const grammar::TokenTrie> vocab;
  std::string gbnf;
  std::vector<std::vector<float>> logits;  // a few fixed pseudo-random logit vectors
};

const Setup& setup() {
  static const Setup s = [] {
    Setup s;
    const char* env = std::getenv("HEARTH_SHARED");
    const std::string path = std::string(env && *env ? env : "../shared") + "/tokenizer/ggml-vocab-llama-spm.gguf";
    try {
      const auto file = gguf::File::open(path);
      s.tok = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::from_gguf(file));
    } catch (const std::exception& e) {
      s.error = std::string("cannot load ") + path + ": " + e.what();
      return s;
    }
    s.vocab = grammar_vocab(*s.tok);
    s.gbnf = grammar::json_schema_to_gbnf(std::string_view(kSchema));
    Rng rng(2024);
    for (int k = 0; k < 16; ++k) {
      std::vector<float> l(static_cast<size_t>(s.tok->n_vocab()));
      // Roughly normal (sum of three uniforms), spread like real logits.
      for (auto& v : l) v = static_cast<float>(4.0 * (rng.uniform() + rng.uniform() + rng.uniform() - 1.5));
      s.logits.push_back(std::move(l));
    }
    return s;
  }();
  return s;
}

SamplerParams params(bool greedy, bool grammar) {
  SamplerParams p;
  p.seed = 7;
  if (greedy) p.temperature = 0.0f;
  if (grammar) p.grammar = setup().gbnf;
  return p;
}

// Generates constrained documents until `n` are complete; returns "" or what went wrong.
std::string validate_grammar_output(int n) {
  const Setup& s = setup();
  for (int doc = 0; doc < n; ++doc) {
    auto p = params(false, true);
    p.seed = static_cast<uint64_t>(doc);
    Sampler sampler(p, s.vocab);
    std::string text;
    for (size_t i = 0; !sampler.grammar_finished(); ++i) {
      if (i > 2000) return "a constrained document did not finish";
      const int32_t id = sampler.sample(s.logits[i % s.logits.size()]);
      if (s.tok->is_eog(id)) break;
      sampler.accept(id);
      text += s.tok->piece(id);
    }
    if (!nlohmann::json::accept(text)) return "constrained output is not JSON: " + text;
  }
  return "";
}

void BM_Sample(benchmark::State& state, bool greedy, bool grammar, bool memo) {
  const Setup& s = setup();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  if (grammar) {
    static const std::string problem = validate_grammar_output(3);
    if (!problem.empty()) return state.SkipWithError(problem.c_str());
  }
  auto make = [&] {
    auto sm = std::make_unique<Sampler>(params(greedy, grammar), grammar ? s.vocab : nullptr);
    if (grammar) sm->grammar_filter()->set_mask_cache(memo);
    return sm;
  };
  auto sampler = make();
  size_t i = 0;
  int64_t docs = 0;
  for (auto _ : state) {
    const int32_t id = sampler->sample(s.logits[i++ % s.logits.size()]);
    if (grammar && s.tok->is_eog(id)) {
      state.PauseTiming();
      sampler = make();
      ++docs;
      state.ResumeTiming();
      continue;
    }
    sampler->accept(id);
    if (grammar && sampler->grammar_finished()) {
      state.PauseTiming();
      sampler = make();  // a fresh document; compiling the grammar is not per-token cost
      ++docs;
      state.ResumeTiming();
    }
  }
  state.counters["documents"] = static_cast<double>(docs);
  state.counters["vocab"] = static_cast<double>(s.tok->n_vocab());
}

// Parse states: inside a string value nearly every token fits, the worst case for the mask
// (nothing is pruned early); before a key only tokens starting '"' or white space survive.
const char* kInString = R"({"name": "Al)";
const char* kBeforeKey = R"({"name": "Al", )";

grammar::GrammarFilter state_at(const char* prefix) {
  const Setup& s = setup();
  grammar::GrammarFilter f(grammar::CompiledGrammar::from_gbnf(s.gbnf), s.vocab);
  f.set_mask_cache(false);
  (void)f.accept_bytes(prefix);
  return f;
}

void BM_GrammarMask(benchmark::State& state, int mode, const char* prefix) {
  const Setup& s = setup();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  const auto g = grammar::CompiledGrammar::from_gbnf(s.gbnf);
  // Reference: every token checked on its own through the byte transitions.
  grammar::GrammarMatcher m(g);
  const auto at = m.step(m.initial(), std::string_view(prefix));
  auto naive = [&](std::vector<uint64_t>& bits) {
    bits.assign((s.vocab->n_vocab() + 63) / 64, 0);
    for (size_t id = 0; id < s.vocab->n_vocab(); ++id) {
      const auto t = static_cast<int32_t>(id);
      if (s.vocab->kind(t) == grammar::TokenKind::Text && !s.vocab->piece(t).empty() &&
          m.step(at, s.vocab->piece(t)) != grammar::GrammarMatcher::kDead)
        bits[id >> 6] |= uint64_t{1} << (id & 63);
    }
  };
  std::vector<uint64_t> expected;
  naive(expected);
  {
    auto f = state_at(prefix);
    std::vector<uint64_t> bits;
    f.compute_mask(bits);
    if (bits != expected) return state.SkipWithError("trie mask differs from the per-token mask");
  }
  size_t allowed = 0;
  for (auto w : expected) allowed += static_cast<size_t>(__builtin_popcountll(w));
  if (mode == 0) {  // trie walk, transitions warm
    auto f = state_at(prefix);
    std::vector<uint64_t> bits;
    for (auto _ : state) {
      f.compute_mask(bits);
      benchmark::DoNotOptimize(bits.data());
    }
  } else if (mode == 1) {  // every token on its own, transitions warm
    std::vector<uint64_t> bits;
    for (auto _ : state) {
      naive(bits);
      benchmark::DoNotOptimize(bits.data());
    }
  } else {  // cold: a fresh matcher, no transitions computed yet
    for (auto _ : state) {
      auto f = state_at(prefix);
      benchmark::DoNotOptimize(f.allowed().data());
    }
  }
  state.counters["allowed_tokens"] = static_cast<double>(allowed);
  state.counters["trie_nodes"] = static_cast<double>(s.vocab->nodes().size());
}

void BM_GrammarVocabBuild(benchmark::State& state) {
  const Setup& s = setup();
  if (!s.error.empty()) return state.SkipWithError(s.error.c_str());
  for (auto _ : state) benchmark::DoNotOptimize(grammar_vocab(*s.tok).get());
}

BENCHMARK_CAPTURE(BM_Sample, greedy, true, false, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Sample, default_chain, false, false, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Sample, default_chain_json_schema, false, true, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Sample, default_chain_json_schema_no_memo, false, true, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_GrammarMask, trie_walk_in_string, 0, kInString)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_GrammarMask, every_token_in_string, 1, kInString)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_GrammarMask, cold_start_in_string, 2, kInString)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_GrammarMask, trie_walk_before_key, 0, kBeforeKey)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_GrammarMask, every_token_before_key, 1, kBeforeKey)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GrammarVocabBuild)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hearth::sampling
