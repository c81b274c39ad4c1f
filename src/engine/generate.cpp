#include "engine/generate.h"

#include <chrono>

#include "core/error.h"

namespace hearth::engine {

std::string_view stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::EndOfGeneration: return "stop";
    case StopReason::MaxTokens: return "length";
    case StopReason::ContextFull: return "context_full";
    case StopReason::Cancelled: return "cancelled";
  }
  return "unknown";
}

GenerateResult generate(Context& ctx, const tokenizer::Tokenizer& tok, const GenerateRequest& req,
                        const std::function<bool(std::string_view)>& on_text) {
  using clock = std::chrono::steady_clock;
  GenerateResult res;
  const bool add_bos = req.add_bos.value_or(tok.add_bos_default());
  const std::vector<int32_t> prompt = tok.encode(req.prompt, add_bos, req.parse_special);
  if (prompt.empty()) fail("the prompt is empty and the model adds no BOS token: nothing to continue from");
  res.n_prompt = static_cast<int64_t>(prompt.size());
  auto seq = ctx.new_sequence();
  sampling::Sampler sampler(req.sampler);
  tokenizer::StreamingDecoder decoder(tok);
  const int64_t n_vocab = ctx.model().hparams().n_vocab;

  auto t0 = clock::now();
  const auto& logits = ctx.eval(*seq, prompt);
  std::vector<float> last(logits.end() - n_vocab, logits.end());
  auto t1 = clock::now();
  res.prompt_seconds = std::chrono::duration<double>(t1 - t0).count();

  for (;;) {
    if (req.max_tokens >= 0 && res.n_generated >= req.max_tokens) {
      res.stop = StopReason::MaxTokens;
      break;
    }
    const int32_t next = sampler.sample(last);
    if (tok.is_eog(next)) {
      res.stop = StopReason::EndOfGeneration;
      break;
    }
    ++res.n_generated;
    const std::string text = decoder.push(next);
    if (!text.empty() && !on_text(text)) {
      res.stop = StopReason::Cancelled;
      break;
    }
    if (static_cast<int64_t>(seq->tokens.size()) >= ctx.n_ctx()) {
      res.stop = StopReason::ContextFull;
      break;
    }
    const int32_t one[] = {next};
    const auto& l = ctx.eval(*seq, one);
    last.assign(l.end() - n_vocab, l.end());
  }
  const std::string rest = decoder.flush();
  if (!rest.empty()) on_text(rest);
  res.generate_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  return res;
}

}  // namespace hearth::engine
