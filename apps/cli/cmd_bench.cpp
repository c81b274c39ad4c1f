// hearth bench: prompt-processing and generation speed like llama-bench, with model size
// and peak RSS; --bandwidth measures read bandwidth and the generation speed it allows.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "engine/bench.h"

namespace hearth::cli {
namespace {

struct BenchArgs {
  std::vector<std::string> models;
  int64_t n_prompt = 512;
  int64_t n_gen = 128;
  int reps = 5;
  bool json = false;
  bool bandwidth = false;
  bool no_repack = false;
  ContextFlags ctx;
};

uint64_t model_bytes(const model::Model& m) {
  uint64_t b = 0;
  for (const auto& t : m.file().tensors()) b += t.n_bytes;
  return b;
}

int run_bench(BenchArgs a) {
  nlohmann::json results = nlohmann::json::array();
  double bw = 0;
  if (a.bandwidth) {
    ThreadPool pool(a.ctx.threads > 0 ? a.ctx.threads : physical_core_count());
    bw = engine::measure_read_bandwidth(pool);
    if (!a.json) fmt::print("read bandwidth: {:.1f} GB/s ({} threads)\n", bw / 1e9, pool.size());
  }
  if (!a.json)
    fmt::print("| {:<36} | {:>9} | {:>7} | {:>6} | {:>2} | {:>6} | {:>16} | {:>9} |{}\n", "model", "size", "params",
               "isa", "t", "test", "t/s", "peak RSS", a.bandwidth ? " bw limit t/s |" : "");
  for (const auto& path : a.models) {
    model::LoadOptions load;
    load.repack = !a.no_repack;
    auto model = model::Model::load(path, load);
    auto opts = a.ctx.options();
    if (opts.n_ctx == 0) opts.n_ctx = std::max<int64_t>(a.n_prompt, a.n_gen) + 1;
    opts.n_batch = std::max<int64_t>(opts.n_batch, a.n_prompt);
    engine::Context ctx(model, opts);
    const uint64_t bytes = model_bytes(*model);
    int64_t params = 0;
    for (const auto& t : model->file().tensors()) params += t.n_elements();
    const std::string name = std::filesystem::path(path).filename().string();
    auto report = [&](const std::string& test, const engine::Timing& t) {
      const uint64_t rss = engine::peak_rss_bytes();
      if (a.json) {
        results.push_back({{"model", name},
                           {"test", test},
                           {"threads", ctx.threads()},
                           {"isa", std::string(kernels::isa_name(ctx.isa()))},
                           {"t_s", t.mean()},
                           {"t_s_sd", t.stddev()},
                           {"t_s_median", t.median()},
                           {"samples", t.tokens_per_second},
                           {"model_bytes", bytes},
                           {"peak_rss_bytes", rss}});
        if (a.bandwidth) results.back()["bandwidth_limit_t_s"] = bw / static_cast<double>(bytes);
      } else {
        fmt::print("| {:<36} | {:>5.0f} MiB | {:>6.2f}B | {:>6} | {:>2} | {:>6} | {:>8.2f} ± {:>5.2f} | {:>5.0f} MiB |{}\n",
                   name, bytes / 1048576.0, params / 1e9, kernels::isa_name(ctx.isa()), ctx.threads(), test,
                   t.mean(), t.stddev(), rss / 1048576.0,
                   a.bandwidth && test[0] == 't' ? fmt::format(" {:>13.2f} |", bw / static_cast<double>(bytes))
                                                 : std::string(a.bandwidth ? "               |" : ""));
        std::fflush(stdout);
      }
    };
    if (a.n_prompt > 0) report(fmt::format("pp{}", a.n_prompt), engine::bench_prompt(ctx, a.n_prompt, a.reps));
    if (a.n_gen > 0) report(fmt::format("tg{}", a.n_gen), engine::bench_generation(ctx, a.n_gen, a.reps));
  }
  if (a.json) std::cout << results.dump(2) << "\n";
  return 0;
}

}  // namespace

void register_bench(CLI::App& app) {
  auto* sub = app.add_subcommand("bench", "Measure prompt (pp) and generation (tg) tokens/s, model size and peak RSS");
  auto a = std::make_shared<BenchArgs>();
  sub->add_option("-m,--model", a->models, "GGUF model file (repeatable)");
  sub->add_option("-p,--n-prompt", a->n_prompt, "Prompt tokens processed as one batch (0: skip)")->capture_default_str();
  sub->add_option("-n,--n-gen", a->n_gen, "Tokens generated one at a time (0: skip)")->capture_default_str();
  sub->add_option("-r,--repetitions", a->reps, "Repetitions per test (after one warm-up)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_flag("--json", a->json, "Print a JSON array of results");
  sub->add_flag("--bandwidth", a->bandwidth,
                "Measure read bandwidth and print each model's generation speed limit (bandwidth / model bytes)");
  sub->add_flag("--no-repack", a->no_repack,
                "Keep weights in the file layout (no load-time repacking into interleaved kernel layouts)");
  a->ctx.add_to(sub);
  add_command(app, sub, [a] {
    if (a->models.empty() && !a->bandwidth) fail("give at least one -m MODEL, or --bandwidth");
    return run_bench(*a);
  });
}

}  // namespace hearth::cli
