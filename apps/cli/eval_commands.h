#pragma once
// Pieces shared by the evaluation commands (cmd_eval.cpp, cmd_quant_report.cpp).
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "engine/context.h"

namespace hearth::cli {

// -f TEXT, --ctx, --chunks, -t, --kv-type.
struct EvalFlags {
  std::string text_file;
  int64_t n_ctx = 512;
  int64_t max_chunks = 0;  // 0: all
  int threads = 0;
  std::string kv_type = "f16";

  void add_to(CLI::App* sub, int64_t default_ctx);
  // One chunk of n_ctx tokens per context, evaluated as one batch.
  engine::ContextOptions context_options() const;
};

// The whole file, as bytes; errors name the file.
std::string read_text_file(const std::string& path);

void register_quant_report(CLI::App& app);

}  // namespace hearth::cli
