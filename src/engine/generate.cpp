#include "engine/generate.h"

#include <chrono>

#include "core/error.h"
#include "engine/stop_strings.h"
#include "sampling/grammar_vocab.h"
#include "sampling/sampler.h"

namespace hearth::engine {

std::string_view stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::EndOfGeneration: return "stop";
    case StopReason::StopString: return "stop";
    case StopReason::MaxTokens: return "length";
    case StopReason::ContextFull: return "context_full";
    case StopReason::Cancelled: return "cancelled";
  }
  return "unknown";
}

GenerateResult generate(Context& ctx, const tokenizer::Tokenizer& tok, const GenerateRequest& req,
                        const GenerateCallbacks& cb) {
  using clock = std::chrono::steady_clock;
  GenerateResult res;
  const bool add_bos = req.add_bos.value_or(tok.add_bos_default());
  const std::vector<int32_t> prompt = tok.encode(req.prompt, add_bos, req.parse_special);
  if (prompt.empty()) fail("the prompt is empty and the model adds no BOS token: nothing to continue from");
  res.n_prompt = static_cast<int64_t>(prompt.size());
  auto seq = ctx.new_sequence();
  sampling::Sampler sampler(req.sampler, req.sampler.grammar.empty() ? nullptr : sampling::grammar_vocab(tok));
  sampler.accept_prompt(prompt);
  tokenizer::StreamingDecoder decoder(tok);
  StopStrings stops(req.stop);
  const int64_t n_vocab = ctx.model().hparams().n_vocab;

  auto t0 = clock::now();
  const auto& logits = ctx.eval(*seq, prompt);
  std::vector<float> last(logits.end() - n_vocab, logits.end());
  auto t1 = clock::now();
  res.prompt_seconds = std::chrono::duration<double>(t1 - t0).count();

  bool cancelled = false;
  auto emit = [&](const std::vector<StopStrings::Piece>& pieces) {
    for (const auto& p : pieces)
      if (!cancelled && cb.on_text && !cb.on_text(p.text, p.token)) cancelled = true;
  };

  for (;;) {
    if (req.max_tokens >= 0 && res.n_generated >= req.max_tokens) {
      res.stop = StopReason::MaxTokens;
      break;
    }
    GeneratedToken g{res.n_generated, 0, {}};
    g.id = sampler.sample(last, req.probs ? &g.probs : nullptr, req.n_probs);
    if (cb.on_token && !cb.on_token(g)) {
      res.stop = StopReason::Cancelled;
      break;
    }
    if (tok.is_eog(g.id)) {
      res.stop = StopReason::EndOfGeneration;
      break;
    }
    sampler.accept(g.id);
    ++res.n_generated;
    emit(stops.push(decoder.push(g.id), g.index));
    if (cancelled) {
      res.stop = StopReason::Cancelled;
      break;
    }
    if (stops.stopped()) {
      res.stop = StopReason::StopString;
      res.stop_string = stops.matched();
      break;
    }
    if (sampler.grammar_finished()) {
      res.stop = StopReason::EndOfGeneration;
      break;
    }
    if (static_cast<int64_t>(seq->tokens.size()) >= ctx.n_ctx()) {
      res.stop = StopReason::ContextFull;
      break;
    }
    const int32_t one[] = {g.id};
    const auto& l = ctx.eval(*seq, one);
    last.assign(l.end() - n_vocab, l.end());
  }
  if (!stops.stopped() && res.stop != StopReason::Cancelled) {
    emit(stops.push(decoder.flush(), res.n_generated - 1));
    emit(stops.flush());
    if (stops.stopped()) {
      res.stop = StopReason::StopString;
      res.stop_string = stops.matched();
    }
  }
  res.generate_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  return res;
}

GenerateResult generate(Context& ctx, const tokenizer::Tokenizer& tok, const GenerateRequest& req,
                        const std::function<bool(std::string_view)>& on_text) {
  GenerateCallbacks cb;
  cb.on_text = [&](std::string_view text, int64_t) { return on_text(text); };
  return generate(ctx, tok, req, cb);
}

}  // namespace hearth::engine
