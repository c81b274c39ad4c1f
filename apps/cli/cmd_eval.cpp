#include "commands.h"

namespace hearth::cli {

void register_eval_commands(CLI::App&) {}

}  // namespace hearth::cli
