// hearth: run open models locally. Subcommands are thin wrappers over libhearth.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "commands.h"
#include "core/error.h"
#include "core/version.h"

namespace hearth::cli {
namespace {
std::map<CLI::App*, Handler>& handlers() {
  static std::map<CLI::App*, Handler> h;  // filled once at start-up, read once: not shared state
  return h;
}
}  // namespace

void add_command(CLI::App&, CLI::App* sub, Handler handler) { handlers()[sub] = std::move(handler); }

std::string shared_dir() {
  const char* env = std::getenv("HEARTH_SHARED");
  return env && *env ? env : "../shared";
}

}  // namespace hearth::cli

int main(int argc, char** argv) {
  using namespace hearth::cli;
  CLI::App app{"hearth — run open language models locally, with the randomness in your hands"};
  app.set_version_flag("--version", std::string("hearth ") + hearth::kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);
  register_show(app);
  register_quantize(app);
  register_tokenize(app);
  register_run(app);
  register_logits(app);
  register_bench(app);
  register_synth(app);
  register_serve(app);
  register_eval_commands(app);
  register_store_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto* sub : app.get_subcommands())
      if (auto it = handlers().find(sub); it != handlers().end()) return it->second();
    std::fprintf(stderr, "hearth: no command given (see hearth --help)\n");
    return 2;
  } catch (const hearth::Error& e) {
    std::fprintf(stderr, "hearth: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "hearth: error: out of memory\n");
    return 1;
  }
}
