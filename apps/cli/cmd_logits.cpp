// hearth logits: the conformance interface. Evaluates a prompt as one batch and prints
// the top-K logits per position plus N greedy tokens generated one at a time, as JSON.
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "engine/context.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace hearth::cli {
namespace {

struct LogitsArgs {
  std::string model;
  std::string prompt;
  std::string tokens;
  bool no_bos = false;
  int top = 32;
  int greedy = 0;
  ContextFlags ctx;
};

nlohmann::json top_k(std::span<const float> logits, int k) {
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  k = std::min<int>(k, static_cast<int>(ids.size()));
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0; i < k; ++i) out.push_back({ids[i], logits[ids[i]]});
  return out;
}

int run_logits(const LogitsArgs& a) {
  auto model = model::Model::load(a.model);
  std::vector<int32_t> tokens;
  if (!a.tokens.empty()) {
    tokens = parse_token_list(a.tokens);
  } else {
    auto tok = tokenizer::Tokenizer::from_gguf(model->file());
    tokens = tok.encode(a.prompt, !a.no_bos && tok.add_bos_default(), false);
  }
  if (tokens.empty()) fail("the prompt produced no tokens");
  engine::Context ctx(model, a.ctx.options());
  auto seq = ctx.new_sequence();
  const int64_t n_vocab = model->hparams().n_vocab;
  if (static_cast<int64_t>(tokens.size()) + a.greedy > ctx.n_ctx())
    fail("the prompt has {} tokens and {} greedy steps were asked for, but the context holds {}", tokens.size(),
         a.greedy, ctx.n_ctx());
  const auto& logits = ctx.eval(*seq, tokens, true);
  nlohmann::json j;
  j["prompt_tokens"] = tokens;
  nlohmann::json prefill = nlohmann::json::array();
  for (size_t p = 0; p < tokens.size(); ++p)
    prefill.push_back({{"pos", p}, {"top", top_k({logits.data() + p * n_vocab, static_cast<size_t>(n_vocab)}, a.top)}});
  j["prefill"] = prefill;
  std::vector<float> last(logits.end() - n_vocab, logits.end());
  std::vector<int32_t> greedy;
  for (int i = 0; i < a.greedy; ++i) {
    const int32_t next = sampling::argmax(last);
    greedy.push_back(next);
    if (i + 1 < a.greedy) {
      const int32_t one[] = {next};
      const auto& l = ctx.eval(*seq, one);
      last.assign(l.end() - n_vocab, l.end());
    }
  }
  j["greedy_tokens"] = greedy;
  std::cout << j.dump() << "\n";
  return 0;
}

}  // namespace

void register_logits(CLI::App& app) {
  auto* sub = app.add_subcommand("logits", "Print per-position top logits and greedy tokens as JSON (conformance)");
  auto a = std::make_shared<LogitsArgs>();
  sub->add_option("model", a->model, "GGUF model file")->required();
  auto* p = sub->add_option("--prompt", a->prompt, "Prompt text");
  auto* t = sub->add_option("--tokens", a->tokens, "Comma-separated token ids instead of a prompt");
  p->excludes(t);
  sub->add_flag("--no-bos", a->no_bos, "Do not add the BOS token to a text prompt");
  sub->add_option("--top", a->top, "Logits to print per position")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--greedy", a->greedy, "Greedy tokens to generate after the prompt")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  a->ctx.add_to(sub);
  add_command(app, sub, [a, p, t] {
    if (p->count() == 0 && t->count() == 0) fail("give --prompt TEXT or --tokens IDS");
    return run_logits(*a);
  });
}

}  // namespace hearth::cli
