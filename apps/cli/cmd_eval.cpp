// hearth perplexity / kld / quant-report: how good a model (or a quantization of it) is on a
// text, measured as llama.cpp's perplexity tool measures it. The work is in src/tools.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.h"
#include "core/error.h"
#include "eval_commands.h"
#include "tools/kld.h"
#include "tools/perplexity.h"

namespace hearth::cli {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the text file", path);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) fail("{}: read failed", path);
  return s.str();
}

void EvalFlags::add_to(CLI::App* sub, int64_t default_ctx) {
  n_ctx = default_ctx;
  sub->add_option("-f,--file", text_file, "Text file to evaluate on")->required();
  sub->add_option("-c,--ctx", n_ctx, "Tokens per chunk (the context of each evaluation)")
      ->check(CLI::Range(int64_t{4}, int64_t{1} << 20))
      ->capture_default_str();
  sub->add_option("--chunks", max_chunks, "Evaluate at most this many chunks (default: all)")
      ->check(CLI::PositiveNumber);
  sub->add_option("-t,--threads", threads, "Worker threads (default: physical cores)")->check(CLI::NonNegativeNumber);
  sub->add_option("--kv-type", kv_type, "KV cache element type: f16 or f32")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
}

engine::ContextOptions EvalFlags::context_options() const {
  engine::ContextOptions o;
  o.threads = threads;
  o.kv_type = model::parse_kv_type(kv_type);
  return tools::chunk_context_options(o, n_ctx);
}

namespace {

// Progress on stderr: one redrawn line on a terminal, one line per chunk otherwise.
class ChunkLine {
 public:
  ChunkLine() : tty_(::isatty(STDERR_FILENO) == 1) {}
  void print(const std::string& line, bool last) {
    if (tty_) {
      fmt::print(stderr, "\r{:<78}", line);
      if (last) fmt::print(stderr, "\n");
    } else {
      fmt::print(stderr, "{}\n", line);
    }
    std::fflush(stderr);
  }

 private:
  bool tty_;
};

std::string chunk_line(const tools::ChunkProgress& p) {
  return fmt::format("[{}/{}] PPL {:.4f} ± {:.4f}  ({:.2f} s/chunk)", p.chunk, p.n_chunks, p.running.ppl(),
                     p.running.ppl_error(), p.seconds);
}

// ---- perplexity ----

struct PerplexityArgs {
  std::string model;
  EvalFlags eval;
  bool json = false;
};

int run_perplexity(const PerplexityArgs& a) {
  auto model = model::Model::load(a.model);
  const auto tok = tokenizer::Tokenizer::from_gguf(model->file());
  const auto text = tools::prepare_eval_text(tok, read_text_file(a.eval.text_file), a.eval.n_ctx, a.eval.max_chunks);
  engine::Context ctx(model, a.eval.context_options());
  fmt::print(stderr, "perplexity: {} tokens, {} chunks of {} (scoring {} tokens each), {} threads\n",
             text.tokens.size(), text.n_chunks, text.n_ctx, text.scored_per_chunk(), ctx.threads());
  ChunkLine line;
  const auto r = tools::perplexity(ctx, text, [&](const tools::ChunkProgress& p) {
    line.print(chunk_line(p), p.chunk == p.n_chunks);
  });
  if (a.json) {
    nlohmann::json j{{"model", a.model},       {"file", a.eval.text_file},     {"n_ctx", text.n_ctx},
                     {"n_chunks", text.n_chunks}, {"n_tokens", text.tokens.size()}, {"scored_tokens", r.stats.count},
                     {"ppl", r.stats.ppl()},   {"ppl_error", r.stats.ppl_error()}, {"running_ppl", r.running_ppl},
                     {"seconds", r.seconds}};
    std::cout << j.dump(2) << "\n";
  } else {
    fmt::print("Final estimate: PPL = {:.4f} +/- {:.5f}  ({} chunks of {}, {} scored tokens, {:.1f} s)\n",
               r.stats.ppl(), r.stats.ppl_error(), text.n_chunks, text.n_ctx, r.stats.count, r.seconds);
  }
  return 0;
}

// ---- kld ----

struct KldArgs {
  std::vector<std::string> models;  // BASE QUANT, or QUANT with --base-logprobs
  std::string save_base;
  std::string base_logprobs;
  EvalFlags eval;
  bool json = false;
};

nlohmann::json kld_json(const tools::KldStats& s) {
  return {{"positions", s.count()},
          {"kld_mean", s.mean()},
          {"kld_mean_error", s.mean_error()},
          {"kld_median", s.median()},
          {"kld_p90", s.percentile(0.90)},
          {"kld_p99", s.percentile(0.99)},
          {"kld_p999", s.percentile(0.999)},
          {"kld_max", s.max()},
          {"top1_agreement", s.top1_agreement()},
          {"top1_agreement_error", s.top1_agreement_error()},
          {"ppl", s.nll().ppl()},
          {"ppl_error", s.nll().ppl_error()},
          {"ppl_base", s.nll_base().ppl()},
          {"ppl_base_error", s.nll_base().ppl_error()}};
}

void print_kld(const tools::KldStats& s) {
  fmt::print("====== Perplexity ======\n");
  fmt::print("PPL(Q)      : {:10.6f} ± {:.6f}\n", s.nll().ppl(), s.nll().ppl_error());
  fmt::print("PPL(base)   : {:10.6f} ± {:.6f}\n", s.nll_base().ppl(), s.nll_base().ppl_error());
  fmt::print("====== KL divergence ({} positions) ======\n", s.count());
  fmt::print("Mean    KLD : {:10.6f} ± {:.6f}\n", s.mean(), s.mean_error());
  fmt::print("Maximum KLD : {:10.6f}\n", s.max());
  fmt::print("99.9%   KLD : {:10.6f}\n", s.percentile(0.999));
  fmt::print("99.0%   KLD : {:10.6f}\n", s.percentile(0.99));
  fmt::print("90.0%   KLD : {:10.6f}\n", s.percentile(0.90));
  fmt::print("Median  KLD : {:10.6f}\n", s.median());
  fmt::print("Minimum KLD : {:10.6f}\n", s.percentile(0.0));
  fmt::print("Same top p  : {:6.3f} ± {:.3f} %\n", 100 * s.top1_agreement(), 100 * s.top1_agreement_error());
}

int run_kld(const KldArgs& a) {
  const bool from_file = !a.base_logprobs.empty();
  if (from_file && a.models.size() != 1) fail("with --base-logprobs give only the model to compare (QUANT)");
  if (!from_file && a.models.size() != 2) fail("give BASE and QUANT models (or --base-logprobs FILE QUANT)");
  if (from_file && !a.save_base.empty()) fail("--save-base needs a BASE model, not --base-logprobs");

  std::unique_ptr<tools::LogProbReader> reader;
  std::unique_ptr<engine::Context> base_ctx;
  tools::EvalText text;
  if (from_file) {
    reader = std::make_unique<tools::LogProbReader>(a.base_logprobs);
    text = reader->text();
    if (a.eval.max_chunks > 0) text.n_chunks = std::min(text.n_chunks, a.eval.max_chunks);
  } else {
    if (a.eval.text_file.empty()) fail("give the text with -f FILE");
    auto base = model::Model::load(a.models[0]);
    const auto tok = tokenizer::Tokenizer::from_gguf(base->file());
    text = tools::prepare_eval_text(tok, read_text_file(a.eval.text_file), a.eval.n_ctx, a.eval.max_chunks);
    base_ctx = std::make_unique<engine::Context>(base, a.eval.context_options());
  }
  const std::string quant_path = a.models.back();
  auto quant = model::Model::load(quant_path);
  if (reader && reader->n_vocab() != quant->hparams().n_vocab)
    fail("{}: the base log-probs are over {} tokens but {} has {}", a.base_logprobs, reader->n_vocab(), quant_path,
         quant->hparams().n_vocab);
  if (base_ctx && base_ctx->model().hparams().n_vocab != quant->hparams().n_vocab)
    fail("{} has {} tokens but {} has {}: KL-divergence needs the same vocabulary", a.models[0],
         base_ctx->model().hparams().n_vocab, quant_path, quant->hparams().n_vocab);
  auto opts = a.eval.context_options();
  opts = tools::chunk_context_options(opts, text.n_ctx);
  engine::Context ctx(quant, opts);
  fmt::print(stderr, "kld: {} chunks of {} (scoring {} positions each), {} threads\n", text.n_chunks, text.n_ctx,
             text.scored_per_chunk(), ctx.threads());

  ChunkLine line;
  std::function<std::vector<float>(int64_t)> base_chunk;
  if (reader) {
    base_chunk = [&](int64_t c) { return reader->read_chunk(c); };
  } else if (!a.save_base.empty()) {
    // Evaluate the base once, write its file, then compare from the file.
    tools::LogProbWriter writer(a.save_base, text, base_ctx->model().hparams().n_vocab);
    tools::save_base_log_probs(*base_ctx, text, writer, [&](const tools::ChunkProgress& p) {
      line.print("base " + chunk_line(p), p.chunk == p.n_chunks);
    });
    base_ctx.reset();
    reader = std::make_unique<tools::LogProbReader>(a.save_base);
    base_chunk = [&](int64_t c) { return reader->read_chunk(c); };
    fmt::print(stderr, "base log-probs saved to {}\n", a.save_base);
  } else {
    base_chunk = [&](int64_t c) { return tools::scored_log_probs(*base_ctx, text, c); };
  }
  const auto stats = tools::kl_divergence(ctx, text, base_chunk, [&](const tools::KldProgress& p) {
    line.print(fmt::format("[{}/{}] KLD {:.6f} ± {:.6f}  same top {:.2f}%  PPL(Q) {:.4f}  ({:.2f} s/chunk)", p.chunk,
                           p.n_chunks, p.stats->mean(), p.stats->mean_error(), 100 * p.stats->top1_agreement(),
                           p.stats->nll().ppl(), p.seconds),
               p.chunk == p.n_chunks);
  });
  if (a.json) {
    auto j = kld_json(stats);
    j["base"] = from_file ? a.base_logprobs : a.models[0];
    j["model"] = quant_path;
    j["n_ctx"] = text.n_ctx;
    j["n_chunks"] = text.n_chunks;
    std::cout << j.dump(2) << "\n";
  } else {
    print_kld(stats);
  }
  return 0;
}

}  // namespace

void register_eval_commands(CLI::App& app) {
  {
    auto* sub = app.add_subcommand("perplexity", "Perplexity of a model on a text (llama.cpp's standard method)");
    auto a = std::make_shared<PerplexityArgs>();
    sub->add_option("model", a->model, "GGUF model file")->required();
    a->eval.add_to(sub, 512);
    sub->add_flag("--json", a->json, "Print the result as JSON");
    add_command(app, sub, [a] { return run_perplexity(*a); });
  }
  {
    auto* sub = app.add_subcommand(
        "kld", "KL-divergence of QUANT's token distributions from BASE's on a text (like llama.cpp --kl-divergence)");
    auto a = std::make_shared<KldArgs>();
    sub->add_option("models", a->models, "BASE QUANT (or only QUANT with --base-logprobs)")->required()->expected(1, 2);
    a->eval.add_to(sub, 512);
    sub->get_option("--file")->required(false);
    sub->add_option("--save-base", a->save_base, "Also save BASE's log-probs to this file for later runs");
    sub->add_option("--base-logprobs", a->base_logprobs,
                    "Read BASE's log-probs (and the tokens) from a --save-base file instead of evaluating BASE");
    sub->add_flag("--json", a->json, "Print the statistics as JSON");
    add_command(app, sub, [a] { return run_kld(*a); });
  }
  register_quant_report(app);
}

}  // namespace hearth::cli
