// hearth quant-report MODEL.gguf -f TEXT: quantizes the model to each type in a temporary
// directory and reports size, peak RAM, speed, perplexity and KL-divergence as Markdown, JSON
// and an SVG chart. Speed and peak RSS are measured by this same binary's hidden
// `quant-report-measure` command, one fresh process per model, since a process's peak RSS only
// grows.
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "eval_commands.h"
#include "tools/quant_report.h"
#include "tools/report_chart.h"

namespace hearth::cli {
namespace {

struct QuantReportArgs {
  std::string model;
  std::string text_file;
  std::string types;
  int64_t n_ctx = 128;
  int64_t max_chunks = 8;
  int64_t n_prompt = 64;
  int64_t n_gen = 32;
  int reps = 2;
  int threads = 0;
  std::string out_dir = "quant-report";
  std::string keep_dir;
  bool json = false;
};

struct MeasureArgs {
  std::string model;
  int64_t n_prompt = 64;
  int64_t n_gen = 32;
  int reps = 2;
  int threads = 0;
};

// A mkdtemp directory removed when the report is done (unless the models are kept there).
class WorkDir {
 public:
  WorkDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hearth-quant-report-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) fail("cannot create a temporary directory in {}", tmpl);
    path_ = tmpl;
  }
  ~WorkDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
  out.close();
  if (!out) fail("{}: write failed", p.string());
}

std::filesystem::path self_binary() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) fail("cannot find the hearth binary (/proc/self/exe): {}", ec.message());
  return p;
}

int run_quant_report(const QuantReportArgs& a) {
  tools::QuantReportOptions o;
  o.model = a.model;
  o.text_file = a.text_file;
  o.types = a.types.empty() ? tools::default_report_types() : tools::parse_report_types(a.types);
  o.n_ctx = a.n_ctx;
  o.max_chunks = a.max_chunks;
  o.n_prompt = a.n_prompt;
  o.n_gen = a.n_gen;
  o.reps = a.reps;
  o.threads = a.threads;
  o.hearth_binary = self_binary();
  std::filesystem::create_directories(a.out_dir);
  WorkDir tmp;
  o.work_dir = tmp.path();
  if (!a.keep_dir.empty()) {
    std::filesystem::create_directories(a.keep_dir);
    o.work_dir = a.keep_dir;
    o.keep_models = true;
  }
  const auto report = tools::run_quant_report(o, [](const std::string& line) {
    fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
  });
  const std::filesystem::path dir = a.out_dir;
  const std::string md = tools::report_markdown(report);
  const std::string json = tools::report_json(report).dump(2) + "\n";
  write_file(dir / "report.md", md);
  write_file(dir / "report.json", json);
  write_file(dir / "report.svg", tools::report_svg(report));
  if (a.json)
    std::cout << json;
  else
    std::cout << md;
  fmt::print(stderr, "wrote {0}/report.md, {0}/report.json and {0}/report.svg ({1:.1f} s)\n", dir.string(),
             report.seconds);
  return 0;
}

}  // namespace

void register_quant_report(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "quant-report", "Quantize a model to several types and tabulate size, RAM, speed, perplexity and KL-divergence");
  auto a = std::make_shared<QuantReportArgs>();
  sub->add_option("model", a->model, "Source GGUF model (F32, F16 or BF16 weights)")->required();
  sub->add_option("-f,--file", a->text_file, "Text for perplexity and KL-divergence")->required();
  sub->add_option("--types", a->types, "Comma-separated file types (default: Q8_0,Q6_K,Q5_K_M,Q4_K_M,Q3_K_M,Q2_K)");
  sub->add_option("-c,--ctx", a->n_ctx, "Tokens per perplexity chunk")
      ->check(CLI::Range(int64_t{4}, int64_t{1} << 20))
      ->capture_default_str();
  sub->add_option("--chunks", a->max_chunks, "Evaluate at most this many chunks")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("-p,--n-prompt", a->n_prompt, "Prompt tokens for the speed test")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("-n,--n-gen", a->n_gen, "Generated tokens for the speed test")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("-r,--repetitions", a->reps, "Speed test repetitions per model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("-t,--threads", a->threads, "Worker threads (default: physical cores)")->check(CLI::NonNegativeNumber);
  sub->add_option("-o,--out-dir", a->out_dir, "Where report.md, report.json and report.svg go")->capture_default_str();
  sub->add_option("--keep", a->keep_dir, "Keep the quantized models (and base log-probs) in this directory");
  sub->add_flag("--json", a->json, "Print the JSON report instead of the Markdown table");
  add_command(app, sub, [a] { return run_quant_report(*a); });

  // The per-model speed and peak-RSS measurement, run by quant-report in a fresh process.
  auto* measure = app.add_subcommand("quant-report-measure", "Measure one model for quant-report (internal)");
  measure->group("");  // hidden from --help
  auto m = std::make_shared<MeasureArgs>();
  measure->add_option("model", m->model, "GGUF model file")->required();
  measure->add_option("-p", m->n_prompt)->check(CLI::PositiveNumber);
  measure->add_option("-n", m->n_gen)->check(CLI::PositiveNumber);
  measure->add_option("-r", m->reps)->check(CLI::PositiveNumber);
  measure->add_option("-t", m->threads)->check(CLI::NonNegativeNumber);
  add_command(app, measure, [m] {
    std::cout << tools::measure_speed(m->model, m->n_prompt, m->n_gen, m->reps, m->threads).dump() << "\n";
    return 0;
  });
}

}  // namespace hearth::cli
