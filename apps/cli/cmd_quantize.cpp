// hearth quantize IN.gguf OUT.gguf TYPE [--threads N]: llama-quantize's file types, with
// byte-identical output (no importance matrix). The work is in tensor/quantize_model.h.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "commands.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "gguf/reader.h"
#include "tensor/ftype.h"
#include "tensor/quant.h"
#include "tensor/quantize_model.h"

namespace hearth::cli {
namespace {

struct QuantizeArgs {
  std::string input, output, type;
  int threads = 0;
  bool pure = false;
  bool leave_output = false;
  std::string output_type, token_embd_type;
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.2f} {}", b, units[u]);
}

std::string shape_string(const std::array<int64_t, 4>& ne) {
  int n = 4;
  while (n > 1 && ne[n - 1] == 1) --n;
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

std::string supported_ftypes() {
  std::string s;
  for (const auto& f : tensor::all_ftypes())
    if (tensor::can_quantize_ftype(f.ftype)) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

tensor::LlamaFtype parse_ftype(const std::string& name) {
  auto f = tensor::ftype_from_name(name);
  if (!f) fail("unknown quantization type '{}' (supported: {})", name, supported_ftypes());
  if (!tensor::can_quantize_ftype(*f))
    fail("quantization type {} is not supported by hearth quantize (supported: {})", tensor::ftype_name(*f),
         supported_ftypes());
  return *f;
}

GgmlType parse_tensor_type(const std::string& name, const char* option) {
  auto t = type_from_name(name);
  if (!t || !tensor::can_quantize(*t)) fail("{}: unknown or unsupported tensor type '{}'", option, name);
  return *t;
}

// Progress on stderr: a redrawn bar on a terminal, one line per tensor otherwise.
class Progress {
 public:
  explicit Progress(const tensor::QuantizePlan& plan) : plan_(plan), tty_(::isatty(STDERR_FILENO) == 1) {}

  void tensor_done(size_t i, size_t n) {
    const auto& t = plan_.tensors[i];
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(kWidth * (i + 1) / n);
      std::string name = t.name.size() > 32 ? t.name.substr(0, 29) + "..." : t.name;
      fmt::print(stderr, "\r[{}{}] {:>4}/{} {:<32}", std::string(filled, '#'), std::string(kWidth - filled, ' '),
                 i + 1, n, name);
      if (i + 1 == n) fmt::print(stderr, "\r{:<80}\r", "");
      std::fflush(stderr);
    } else {
      const int w = static_cast<int>(std::to_string(n).size());
      const std::string types = t.converted() ? fmt::format("{:>6} -> {:<6}", type_name(t.from), type_name(t.to))
                                              : fmt::format("{:>6}  (kept)", type_name(t.from));
      fmt::print(stderr, "[{:>{}}/{}] {:<36} {} {:<14} {:>11} -> {}\n", i + 1, w, n, t.name, types,
                 shape_string(t.ne), human_bytes(static_cast<double>(t.in_bytes)),
                 human_bytes(static_cast<double>(t.out_bytes)));
    }
  }

 private:
  const tensor::QuantizePlan& plan_;
  bool tty_;
};

void print_summary(const QuantizeArgs& a, const tensor::QuantizePlan& plan, double seconds, int threads) {
  size_t converted = 0;
  int64_t n_params = 0;
  std::map<std::string, int> mix;
  for (const auto& t : plan.tensors) {
    converted += t.converted();
    n_params += t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
    ++mix[std::string(type_name(t.to))];
  }
  std::string mix_s;
  for (const auto& [name, count] : mix) mix_s += fmt::format("{}{} {}", mix_s.empty() ? "" : ", ", name, count);
  const double in_b = static_cast<double>(plan.input_bytes()), out_b = static_cast<double>(plan.output_bytes());
  fmt::print("quantized {} -> {} as {}\n", a.input, a.output, tensor::ftype_name(plan.ftype));
  fmt::print("  tensors: {} ({} converted, {} copied, {} with fallback types)\n", plan.tensors.size(), converted,
             plan.tensors.size() - converted, plan.n_fallback);
  fmt::print("  types:   {}\n", mix_s);
  fmt::print("  size:    {} -> {} ({:.2f}x smaller, {:.2f} bits per weight)\n", human_bytes(in_b),
             human_bytes(out_b), out_b > 0 ? in_b / out_b : 0.0,
             n_params > 0 ? out_b * 8 / static_cast<double>(n_params) : 0.0);
  fmt::print("  time:    {:.2f} s on {} thread{}\n", seconds, threads, threads == 1 ? "" : "s");
}

int run_quantize(const QuantizeArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  tensor::QuantizeOptions options;
  options.ftype = parse_ftype(a.type);
  options.selection.pure = a.pure;
  options.selection.leave_output = a.leave_output;
  if (!a.output_type.empty()) options.selection.output_type = parse_tensor_type(a.output_type, "--output-tensor-type");
  if (!a.token_embd_type.empty())
    options.selection.token_embd_type = parse_tensor_type(a.token_embd_type, "--token-embedding-type");
  if (a.threads < 0) fail("--threads must be positive (got {})", a.threads);
  const int threads = a.threads > 0 ? a.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  std::error_code ec;
  if (std::filesystem::equivalent(a.input, a.output, ec))
    fail("{}: output would overwrite the input; choose another output path", a.output);

  const auto in = gguf::File::open(a.input);
  const auto plan = tensor::plan_quantization(in, options);
  ThreadPool pool(threads);
  Progress progress(plan);
  tensor::write_quantized(in, plan, a.output, pool, [&](size_t i, size_t n) { progress.tensor_done(i, n); });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print_summary(a, plan, seconds, threads);
  return 0;
}

}  // namespace

void register_quantize(CLI::App& app) {
  auto* sub = app.add_subcommand("quantize", "Quantize an F32/F16/BF16 GGUF model (llama-quantize's file types)");
  auto a = std::make_shared<QuantizeArgs>();
  sub->add_option("input", a->input, "Input GGUF file (F32, F16 or BF16 weights)")->required();
  sub->add_option("output", a->output, "Output GGUF file")->required();
  sub->add_option("type", a->type, "File type: " + supported_ftypes())->required();
  sub->add_option("--threads,-t", a->threads, "Worker threads (default: all cores)");
  sub->add_flag("--pure", a->pure, "Give every quantizable tensor the default type (no mixing rules)");
  sub->add_flag("--leave-output-tensor", a->leave_output, "Keep output.weight unquantized");
  sub->add_option("--output-tensor-type", a->output_type, "Type for output.weight");
  sub->add_option("--token-embedding-type", a->token_embd_type, "Type for token_embd.weight");
  add_command(app, sub, [a] { return run_quantize(*a); });
}

}  // namespace hearth::cli
