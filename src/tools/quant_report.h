#pragma once
// The quantization report: one row per file type of a model — size, peak RAM, prompt and
// generation speed, perplexity and KL-divergence against the source — so a user can trade
// size, memory, speed and quality on their own machine.
//
// Speed and peak RSS come from a separate process per model (a process's peak RSS never goes
// down, so one process cannot measure several models): the hidden `hearth quant-report-measure`,
// which runs engine/bench.h's tests and reads VmHWM. Not getrusage's ru_maxrss, which a
// spawned child inherits from its parent (Linux carries it across exec), so every child would
// report the parent's peak;
// perplexity and KL-divergence are computed in this process against the source model's
// log-probs, saved once to the work directory.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/ftype.h"

namespace hearth::tools {

struct KldSummary {
  double mean = 0, mean_error = 0, median = 0, p99 = 0, max = 0;
  double top1 = 0, top1_error = 0;  // fractions
};

struct QuantRow {
  std::string type;        // "F32" (the source) or the file type, e.g. "Q4_K_M"
  bool is_base = false;    // the source model itself
  uint64_t file_bytes = 0;
  double bits_per_weight = 0;
  uint64_t peak_rss_bytes = 0;
  double prompt_tps = 0, prompt_tps_sd = 0;
  double gen_tps = 0, gen_tps_sd = 0;
  double ppl = 0, ppl_error = 0;
  std::optional<KldSummary> kld;  // none for the base row
  double quantize_seconds = 0;
};

struct QuantReport {
  std::string model;      // file name of the source
  std::string text_file;
  int64_t n_ctx = 0, n_chunks = 0, n_prompt = 0, n_gen = 0;
  int reps = 0, threads = 0;
  std::vector<QuantRow> rows;  // base first
  double seconds = 0;
};

struct QuantReportOptions {
  std::filesystem::path model;
  std::filesystem::path text_file;
  std::vector<tensor::LlamaFtype> types;
  int64_t n_ctx = 128;
  int64_t max_chunks = 8;
  int64_t n_prompt = 64;
  int64_t n_gen = 32;
  int reps = 2;
  int threads = 0;  // 0: physical cores
  std::filesystem::path work_dir;        // quantized files and base log-probs go here
  std::filesystem::path hearth_binary;   // runs `quant-report-measure` for speed and peak RSS
  bool keep_models = false;              // leave the quantized files in work_dir
};

// The default file types of the report.
std::vector<tensor::LlamaFtype> default_report_types();
// "Q8_0,Q6_K" -> types; errors name an unknown or unsupported type.
std::vector<tensor::LlamaFtype> parse_report_types(std::string_view list);

// Runs everything; `log` receives one progress line at a time.
QuantReport run_quant_report(const QuantReportOptions& options, const std::function<void(const std::string&)>& log);

std::string report_markdown(const QuantReport& r);
nlohmann::json report_json(const QuantReport& r);

// Measures one model's prompt and generation speed and this process's peak RSS (meant for a
// fresh process): {"prompt_tps","prompt_tps_sd","gen_tps","gen_tps_sd","peak_rss_bytes"}.
nlohmann::json measure_speed(const std::filesystem::path& model, int64_t n_prompt, int64_t n_gen, int reps,
                             int threads);
// The high-water mark of this process's resident memory since exec (VmHWM in /proc/self/status).
uint64_t peak_rss_since_exec();
// Parses measure_speed()'s JSON (as printed by the child) into the row.
void apply_measure_json(const std::string& child_stdout, QuantRow& row);

}  // namespace hearth::tools
