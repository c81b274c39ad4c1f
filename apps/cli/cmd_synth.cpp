// hearth synth: write a random-weight model with a real model's exact tensor shapes.
#include <fmt/format.h>
#include <unistd.h>

#include "commands.h"
#include "core/cpu_features.h"
#include "core/error.h"
#include "tools/synth.h"

namespace hearth::cli {
namespace {

struct SynthArgs {
  std::string shape = "tinyllama-1.1b";
  std::string type = "Q4_K_M";
  std::string out;
  int64_t seed = 42;
  std::string vocab;
  int threads = 0;
};

}  // namespace

void register_synth(CLI::App& app) {
  auto* sub = app.add_subcommand("synth", "Write a random-weight model with the tensor shapes of a real model");
  auto a = std::make_shared<SynthArgs>();
  std::string shapes;
  for (const auto& s : tools::known_shapes()) shapes += (shapes.empty() ? "" : ", ") + std::string(s.name);
  sub->add_option("--shape", a->shape, "Model shape: " + shapes)->capture_default_str();
  sub->add_option("--type", a->type, "File type, as for quantize (F32, F16, Q8_0, Q4_0, Q4_K_M, ...)")
      ->capture_default_str();
  sub->add_option("-o,--output", a->out, "Output GGUF file")->required();
  sub->add_option("--seed", a->seed, "Random seed (same seed, same bytes)")->capture_default_str();
  sub->add_option("--vocab", a->vocab, "GGUF whose tokenizer is copied (default: $HEARTH_SHARED/tokenizer/ggml-vocab-llama-spm.gguf)");
  sub->add_option("-t,--threads", a->threads, "Worker threads (default: physical cores)");
  add_command(app, sub, [a] {
    tools::SynthOptions o;
    o.shape = a->shape;
    const auto ft = tensor::ftype_from_name(a->type);
    if (!ft) fail("unknown file type '{}'", a->type);
    o.ftype = *ft;
    o.seed = static_cast<uint64_t>(a->seed);
    o.vocab = a->vocab.empty() ? std::filesystem::path(shared_dir()) / "tokenizer" / "ggml-vocab-llama-spm.gguf"
                               : std::filesystem::path(a->vocab);
    ThreadPool pool(a->threads > 0 ? a->threads : physical_core_count());
    const bool tty = isatty(2);
    tools::synthesize(o, a->out, pool, [&](size_t i, size_t n) {
      if (tty) fmt::print(stderr, "\rsynth: tensor {}/{}", i, n);
    });
    if (tty) fmt::print(stderr, "\n");
    fmt::print("wrote {} ({} {}, {} bytes)\n", a->out, a->shape, a->type, std::filesystem::file_size(a->out));
    return 0;
  });
}

}  // namespace hearth::cli
