#pragma once
// Each subcommand lives in its own file and registers itself on the root app. Handlers
// return the process exit code; hearth::Error escaping a handler becomes a one-line message.
#include <CLI/CLI.hpp>

#include <functional>

namespace hearth::cli {

using Handler = std::function<int()>;

// Registers a subcommand; `handler` is run when the subcommand was chosen.
void add_command(CLI::App& app, CLI::App* sub, Handler handler);

void register_show(CLI::App& app);
void register_quantize(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_run(CLI::App& app);
void register_logits(CLI::App& app);
void register_bench(CLI::App& app);
void register_synth(CLI::App& app);
// Command families added by their own files (cmd_serve.cpp, cmd_eval.cpp, cmd_store.cpp).
void register_serve(CLI::App& app);
void register_eval_commands(CLI::App& app);   // perplexity, kld, quant-report
void register_store_commands(CLI::App& app);  // pull, import, list, rm, cp, create, ps, keygen, sign, verify

// Resolves the shared fixtures folder: $HEARTH_SHARED, else ../shared.
std::string shared_dir();

}  // namespace hearth::cli
