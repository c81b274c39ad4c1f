#pragma once
// Options shared by the commands that load a model and build an inference context.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "engine/context.h"

namespace hearth::cli {

struct ContextFlags {
  int threads = 0;
  int64_t ctx_size = 0;
  std::string kv_type = "f16";
  std::string isa;  // empty: best for this CPU

  void add_to(CLI::App* sub);
  engine::ContextOptions options() const;
};

// Parses "1,2,3" (spaces allowed) into token ids; errors name the bad item.
std::vector<int32_t> parse_token_list(const std::string& s);

}  // namespace hearth::cli
