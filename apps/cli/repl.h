#pragma once
// The interactive chat of `hearth run NAME` without a prompt (Ollama-style): libedit line
// editing and history on a terminal, plain lines from a pipe; """ for multi-line input;
// /set parameter NAME VALUE, /set system TEXT, /show info|parameters|system|template,
// /clear, /bye. Ctrl-C stops the answer being generated; at the prompt, a second Ctrl-C
// in a row (or Ctrl-D, or /bye) exits.
#include "engine/context.h"
#include "gguf/reader.h"
#include "model_params.h"
#include "store/resolve.h"
#include "tokenizer/tokenizer.h"

namespace hearth::cli {

struct ReplSetup {
  engine::Context* ctx = nullptr;
  const tokenizer::Tokenizer* tok = nullptr;
  const gguf::File* file = nullptr;
  const store::ResolvedModel* model = nullptr;
  GenerationSettings settings;  // manifest parameters and flags already applied
  bool verbose = false;
};

int run_repl(ReplSetup& setup);

}  // namespace hearth::cli
