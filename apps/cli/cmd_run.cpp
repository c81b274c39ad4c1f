// hearth run MODEL -p TEXT: stream a completion to stdout (the prompt is not echoed).
#include <cstdio>
#include <random>

#include "commands.h"
#include "common.h"
#include "engine/generate.h"

namespace hearth::cli {
namespace {

struct RunArgs {
  std::string model;
  std::string prompt;
  int64_t n_predict = 128;
  float temp = 0.8f;
  int64_t seed = -1;
  bool verbose = false;
  bool special = false;
  ContextFlags ctx;
};

int run_run(const RunArgs& a) {
  auto model = model::Model::load(a.model);
  auto tok = tokenizer::Tokenizer::from_gguf(model->file());
  engine::Context ctx(model, a.ctx.options());
  engine::GenerateRequest req;
  req.prompt = a.prompt;
  req.max_tokens = a.n_predict;
  req.parse_special = a.special;
  req.sampler.temperature = a.temp;
  uint64_t seed = a.seed >= 0 ? static_cast<uint64_t>(a.seed) : std::random_device{}();
  req.sampler.seed = seed;
  auto res = engine::generate(ctx, tok, req, [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  if (a.verbose) {
    std::fprintf(stderr, "\n[seed %llu | %s kernels, %d threads]\n", static_cast<unsigned long long>(seed),
                 std::string(kernels::isa_name(ctx.isa())).c_str(), ctx.threads());
    std::fprintf(stderr, "prompt:     %5lld tokens in %8.2f ms (%8.2f tokens/s)\n", static_cast<long long>(res.n_prompt),
                 res.prompt_seconds * 1e3, res.n_prompt / std::max(res.prompt_seconds, 1e-9));
    std::fprintf(stderr, "generation: %5lld tokens in %8.2f ms (%8.2f tokens/s), stop: %s\n",
                 static_cast<long long>(res.n_generated), res.generate_seconds * 1e3,
                 res.n_generated / std::max(res.generate_seconds, 1e-9),
                 std::string(engine::stop_reason_name(res.stop)).c_str());
  }
  return 0;
}

}  // namespace

void register_run(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Generate a completion for a prompt, streamed to stdout");
  auto a = std::make_shared<RunArgs>();
  sub->add_option("model", a->model, "GGUF model file")->required();
  sub->add_option("-p,--prompt", a->prompt, "Prompt text (not echoed)")->required();
  sub->add_option("-n,--n-predict", a->n_predict, "Tokens to generate (-1: until end of text or full context)")
      ->capture_default_str();
  sub->add_option("--temp", a->temp, "Temperature; 0 = greedy")->check(CLI::NonNegativeNumber)->capture_default_str();
  sub->add_option("--seed", a->seed, "Random seed (-1: random, reported with --verbose)")->capture_default_str();
  sub->add_flag("--special", a->special, "Parse special tokens (e.g. <|im_start|>) in the prompt");
  sub->add_flag("-v,--verbose", a->verbose, "Print speed (prompt and generation tokens/s) to stderr");
  a->ctx.add_to(sub);
  add_command(app, sub, [a] { return run_run(*a); });
}

}  // namespace hearth::cli
