#include "tools/quant_report.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/thread_pool.h"
#include "engine/bench.h"
#include "engine/context.h"
#include "gguf/reader.h"
#include "model/model.h"
#include "tensor/quantize_model.h"
#include "tokenizer/tokenizer.h"
#include "tools/kld.h"
#include "tools/perplexity.h"
#include "tools/subprocess.h"

namespace hearth::tools {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string read_file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("{}: cannot open the text file", p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The type holding most of the weight bytes, as the base row's label ("F32").
std::string dominant_type(const gguf::File& f) {
  std::map<std::string, uint64_t> bytes;
  for (const auto& t : f.tensors()) bytes[std::string(type_name(t.type))] += t.n_bytes;
  std::string best;
  uint64_t most = 0;
  for (const auto& [name, b] : bytes)
    if (b > most) best = name, most = b;
  return best;
}

double bits_per_weight(const gguf::File& f) {
  uint64_t bytes = 0;
  int64_t n = 0;
  for (const auto& t : f.tensors()) bytes += t.n_bytes, n += t.n_elements();
  return n > 0 ? static_cast<double>(bytes) * 8 / static_cast<double>(n) : 0.0;
}

std::string human_mib(uint64_t b) { return fmt::format("{:.2f} MiB", static_cast<double>(b) / 1048576.0); }

KldSummary summarize(const KldStats& s) {
  return {s.mean(), s.mean_error(), s.median(), s.percentile(0.99), s.max(), s.top1_agreement(),
          s.top1_agreement_error()};
}

}  // namespace

std::vector<tensor::LlamaFtype> default_report_types() {
  using F = tensor::LlamaFtype;
  return {F::Q8_0, F::Q6_K, F::Q5_K_M, F::Q4_K_M, F::Q3_K_M, F::Q2_K};
}

std::vector<tensor::LlamaFtype> parse_report_types(std::string_view list) {
  std::vector<tensor::LlamaFtype> out;
  size_t i = 0;
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view item = list.substr(i, j - i);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      const auto f = tensor::ftype_from_name(item);
      if (!f) fail("--types: unknown quantization type '{}'", item);
      if (!tensor::can_quantize_ftype(*f)) fail("--types: hearth cannot quantize to {}", tensor::ftype_name(*f));
      out.push_back(*f);
    }
    i = j + 1;
  }
  if (out.empty()) fail("--types: no quantization types given");
  return out;
}

uint64_t peak_rss_since_exec() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmHWM:   1234 kB"
  fail("/proc/self/status has no VmHWM line");
}

nlohmann::json measure_speed(const std::filesystem::path& model_path, int64_t n_prompt, int64_t n_gen, int reps,
                             int threads) {
  auto m = model::Model::load(model_path);
  engine::ContextOptions o;
  o.threads = threads;
  o.n_ctx = std::max(n_prompt, n_gen) + 1;
  o.n_batch = std::max<int64_t>(o.n_batch, n_prompt);
  engine::Context ctx(m, o);
  const auto pp = engine::bench_prompt(ctx, n_prompt, reps);
  const auto tg = engine::bench_generation(ctx, n_gen, reps);
  return {{"prompt_tps", pp.mean()}, {"prompt_tps_sd", pp.stddev()}, {"gen_tps", tg.mean()},
          {"gen_tps_sd", tg.stddev()}, {"threads", ctx.threads()},     {"peak_rss_bytes", peak_rss_since_exec()}};
}

void apply_measure_json(const std::string& child_stdout, QuantRow& row) {
  try {
    const auto j = nlohmann::json::parse(child_stdout);
    row.prompt_tps = j.at("prompt_tps").get<double>();
    row.prompt_tps_sd = j.at("prompt_tps_sd").get<double>();
    row.gen_tps = j.at("gen_tps").get<double>();
    row.gen_tps_sd = j.at("gen_tps_sd").get<double>();
    row.peak_rss_bytes = j.at("peak_rss_bytes").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    fail("the speed measurement printed no usable JSON ({})", e.what());
  }
}

QuantReport run_quant_report(const QuantReportOptions& o, const std::function<void(const std::string&)>& log) {
  const auto t_all = clock_type::now();
  if (o.types.empty()) fail("no quantization types to report");
  if (o.reps < 1) fail("repetitions must be at least 1 (got {})", o.reps);
  if (o.n_prompt < 1 || o.n_gen < 1) fail("prompt and generation lengths must be positive");
  QuantReport report;
  report.model = o.model.filename().string();
  report.text_file = o.text_file.string();
  report.n_prompt = o.n_prompt;
  report.n_gen = o.n_gen;
  report.reps = o.reps;

  auto bench = [&](const std::filesystem::path& model_file, QuantRow& row) {
    const auto out = run_process({o.hearth_binary.string(), "quant-report-measure", model_file.string(), "-p",
                                  std::to_string(o.n_prompt), "-n", std::to_string(o.n_gen), "-r",
                                  std::to_string(o.reps), "-t", std::to_string(o.threads)});
    if (out.exit_code != 0)
      fail("{}: the speed measurement failed (exit code {})", model_file.string(), out.exit_code);
    apply_measure_json(out.out, row);
  };

  // The source: its log-probs on the text, its perplexity, its speed.
  const auto source_file = gguf::File::open(o.model);
  // Plans are cheap: a source that cannot be quantized to some type fails before any work.
  std::vector<tensor::QuantizePlan> plans;
  for (const auto ftype : o.types) {
    tensor::QuantizeOptions qo;
    qo.ftype = ftype;
    plans.push_back(tensor::plan_quantization(source_file, qo));
  }
  auto base_model = model::Model::load(o.model);
  const auto tok = tokenizer::Tokenizer::from_gguf(base_model->file());
  const auto text = prepare_eval_text(tok, read_file_bytes(o.text_file), o.n_ctx, o.max_chunks);
  report.n_ctx = text.n_ctx;
  report.n_chunks = text.n_chunks;
  engine::ContextOptions copts;
  copts.threads = o.threads;
  copts = chunk_context_options(copts, text.n_ctx);
  const auto base_logprobs = o.work_dir / "base.logprobs";
  QuantRow base;
  base.type = dominant_type(base_model->file());
  base.is_base = true;
  base.file_bytes = std::filesystem::file_size(o.model);
  base.bits_per_weight = bits_per_weight(base_model->file());
  {
    engine::Context ctx(base_model, copts);
    report.threads = ctx.threads();
    log(fmt::format("{} ({}): {} chunks of {} tokens from {}", report.model, base.type, text.n_chunks, text.n_ctx,
                    report.text_file));
    LogProbWriter writer(base_logprobs, text, base_model->hparams().n_vocab);
    const auto ppl = save_base_log_probs(ctx, text, writer);
    base.ppl = ppl.stats.ppl();
    base.ppl_error = ppl.stats.ppl_error();
  }
  bench(o.model, base);
  log(fmt::format("  {:<7} {:>10}  PPL {:.4f} ± {:.4f}  pp {:.1f} t/s  tg {:.1f} t/s  peak RSS {}", base.type,
                  human_mib(base.file_bytes), base.ppl, base.ppl_error, base.prompt_tps, base.gen_tps,
                  human_mib(base.peak_rss_bytes)));
  report.rows.push_back(base);
  base_model.reset();

  LogProbReader reader(base_logprobs);
  ThreadPool pool(report.threads);
  for (size_t k = 0; k < o.types.size(); ++k) {
    QuantRow row;
    row.type = std::string(tensor::ftype_name(o.types[k]));
    const auto out = o.work_dir / fmt::format("{}.{}.gguf", o.model.stem().string(), row.type);
    const auto t0 = clock_type::now();
    tensor::write_quantized(source_file, plans[k], out, pool);
    row.quantize_seconds = seconds_since(t0);
    row.file_bytes = std::filesystem::file_size(out);
    {
      auto m = model::Model::load(out);
      row.bits_per_weight = bits_per_weight(m->file());
      engine::Context ctx(m, copts);
      const auto stats = kl_divergence(ctx, text, [&](int64_t c) { return reader.read_chunk(c); });
      row.ppl = stats.nll().ppl();
      row.ppl_error = stats.nll().ppl_error();
      row.kld = summarize(stats);
    }
    bench(out, row);
    if (!o.keep_models) std::filesystem::remove(out);
    log(fmt::format("  {:<7} {:>10}  PPL {:.4f} ± {:.4f}  KLD {:.6f}  same top {:.1f}%  pp {:.1f} t/s  tg {:.1f} t/s  "
                    "peak RSS {}",
                    row.type, human_mib(row.file_bytes), row.ppl, row.ppl_error, row.kld->mean,
                    100 * row.kld->top1, row.prompt_tps, row.gen_tps, human_mib(row.peak_rss_bytes)));
    report.rows.push_back(row);
  }
  report.seconds = seconds_since(t_all);
  return report;
}

std::string report_markdown(const QuantReport& r) {
  std::string s = fmt::format(
      "Quantization report for {} on {} ({} chunks of {} tokens; speed: pp{} / tg{}, {} reps, {} threads)\n\n",
      r.model, r.text_file, r.n_chunks, r.n_ctx, r.n_prompt, r.n_gen, r.reps, r.threads);
  s += "| Quantization | Model size | Bits/weight | Peak RAM | Prompt tok/s | Gen tok/s | Perplexity | KL-div vs base | "
       "Same top token |\n";
  s += "|:--|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& row : r.rows) {
    const std::string kld = row.kld ? fmt::format("{:.6f} ± {:.6f}", row.kld->mean, row.kld->mean_error) : "— (base)";
    const std::string top = row.kld ? fmt::format("{:.2f}%", 100 * row.kld->top1) : "—";
    s += fmt::format("| {} | {} | {:.2f} | {} | {:.1f} ± {:.1f} | {:.1f} ± {:.1f} | {:.4f} ± {:.4f} | {} | {} |\n",
                     row.type, human_mib(row.file_bytes), row.bits_per_weight, human_mib(row.peak_rss_bytes),
                     row.prompt_tps, row.prompt_tps_sd, row.gen_tps, row.gen_tps_sd, row.ppl, row.ppl_error, kld, top);
  }
  return s;
}

nlohmann::json report_json(const QuantReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json j{{"type", row.type},
                     {"is_base", row.is_base},
                     {"file_bytes", row.file_bytes},
                     {"bits_per_weight", row.bits_per_weight},
                     {"peak_rss_bytes", row.peak_rss_bytes},
                     {"prompt_tps", row.prompt_tps},
                     {"prompt_tps_sd", row.prompt_tps_sd},
                     {"gen_tps", row.gen_tps},
                     {"gen_tps_sd", row.gen_tps_sd},
                     {"ppl", row.ppl},
                     {"ppl_error", row.ppl_error},
                     {"quantize_seconds", row.quantize_seconds}};
    if (row.kld)
      j["kld"] = {{"mean", row.kld->mean},     {"mean_error", row.kld->mean_error}, {"median", row.kld->median},
                  {"p99", row.kld->p99},       {"max", row.kld->max},               {"top1_agreement", row.kld->top1},
                  {"top1_agreement_error", row.kld->top1_error}};
    else
      j["kld"] = nullptr;
    rows.push_back(j);
  }
  return {{"model", r.model},       {"text_file", r.text_file}, {"n_ctx", r.n_ctx},     {"n_chunks", r.n_chunks},
          {"n_prompt", r.n_prompt}, {"n_gen", r.n_gen},         {"repetitions", r.reps}, {"threads", r.threads},
          {"seconds", r.seconds},   {"rows", rows}};
}

}  // namespace hearth::tools
