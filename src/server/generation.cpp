#include "server/generation.h"

#include <cmath>

#include "server/http_error.h"

namespace hearth::server {

std::vector<int32_t> tokenize_prompt(const LoadedModel& m, const std::string& text, bool parse_special, bool truncate,
                                     int64_t max_tokens) {
  const auto& tok = m.tokenizer();
  bool add_bos = tok.add_bos_default();
  // Chat templates usually write the BOS text themselves.
  if (add_bos && parse_special && tok.bos() >= 0 && text.starts_with(tok.token_text(tok.bos()))) add_bos = false;
  std::vector<int32_t> tokens = tok.encode(text, add_bos, parse_special);
  if (tokens.empty()) throw HttpError(400, "the prompt is empty and the model adds no BOS token: nothing to continue from", "prompt");
  const int64_t n_ctx = m.scheduler().n_ctx();
  const int64_t fit = n_ctx - 1;  // room for at least one generated token
  const auto n = static_cast<int64_t>(tokens.size());
  if (n > fit) {
    if (!truncate)
      throw HttpError(400,
                      fmt::format("the prompt has {} tokens but at most {} fit in the context of {} (send \"truncate\": true "
                                  "to drop its start, or start the server with a larger --ctx-size)",
                                  n, fit, n_ctx),
                      "prompt", "context_length_exceeded");
    // Keep the end, leaving room for max_tokens (or half the context), and the BOS token.
    const int64_t reserve = std::clamp<int64_t>(max_tokens > 0 ? max_tokens : n_ctx / 2, 1, n_ctx / 2);
    const int64_t keep = n_ctx - reserve;
    std::vector<int32_t> out;
    const bool bos = add_bos && tokens.front() == tok.bos();
    if (bos) out.push_back(tokens.front());
    out.insert(out.end(), tokens.end() - (keep - (bos ? 1 : 0)), tokens.end());
    tokens = std::move(out);
  }
  return tokens;
}

Generation::Generation(LoadedModel& m, std::vector<int32_t> prompt, const GenOptions& options) : ch_(std::make_shared<Channel>()) {
  n_prompt_ = static_cast<int64_t>(prompt.size());
  seed_ = options.sampler.seed;
  engine::Job job;
  job.prompt = std::move(prompt);
  job.max_tokens = options.max_tokens;
  job.sampler = options.sampler;
  job.stop = options.stop;
  job.probs = options.logprobs;
  job.n_probs = static_cast<size_t>(options.top_logprobs);
  std::weak_ptr<Channel> weak = ch_;
  job.on_delta = [weak](engine::Delta&& d) {
    auto ch = weak.lock();
    if (!ch) return false;
    {
      std::lock_guard lock(ch->mu);
      ch->deltas.push_back(std::move(d));
    }
    ch->cv.notify_all();
    return true;
  };
  job.on_done = [weak](const engine::JobResult& r) {
    auto ch = weak.lock();
    if (!ch) return;
    {
      std::lock_guard lock(ch->mu);
      ch->done = r;
    }
    ch->cv.notify_all();
  };
  try {
    handle_ = m.scheduler().submit(std::move(job));
  } catch (const engine::QueueFull& e) {
    throw HttpError(503, fmt::format("{}; retry later", e.what()), "", "queue_full");
  }
}

Generation::~Generation() {
  if (handle_ && !result_) handle_->cancel();
}

Generation::Next Generation::next(engine::Delta& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(ch_->mu);
  ch_->cv.wait_for(lock, timeout, [&] { return !ch_->deltas.empty() || ch_->done.has_value(); });
  if (!ch_->deltas.empty()) {
    out = std::move(ch_->deltas.front());
    ch_->deltas.pop_front();
    return Next::Delta;
  }
  if (ch_->done) {
    result_ = ch_->done;
    return Next::Done;
  }
  return Next::Timeout;
}

std::vector<engine::Delta> Generation::collect() {
  std::vector<engine::Delta> out;
  engine::Delta d;
  for (;;) {
    const Next n = next(d, std::chrono::milliseconds(1000));
    if (n == Next::Done) return out;
    if (n == Next::Delta) out.push_back(std::move(d));
  }
}

std::string finish_reason(engine::StopReason r) {
  switch (r) {
    case engine::StopReason::EndOfGeneration:
    case engine::StopReason::StopString: return "stop";
    case engine::StopReason::MaxTokens:
    case engine::StopReason::ContextFull: return "length";
    case engine::StopReason::Cancelled: return "cancelled";
  }
  return "stop";
}

json token_logprob(const tokenizer::Tokenizer& tok, const engine::StreamToken& t) {
  auto entry = [&](int32_t id, float p) {
    const std::string& piece = tok.piece(id);
    json bytes = json::array();
    for (unsigned char c : piece) bytes.push_back(static_cast<int>(c));
    return json{{"token", piece}, {"logprob", p > 0 ? std::log(static_cast<double>(p)) : -9999.0}, {"bytes", bytes}};
  };
  json j = entry(t.id, t.probs.p_model);
  json top = json::array();
  for (const auto& alt : t.probs.top_model) top.push_back(entry(alt.id, alt.p));
  j["top_logprobs"] = std::move(top);
  j["entropy"] = t.probs.entropy_model;
  return j;
}

}  // namespace hearth::server
