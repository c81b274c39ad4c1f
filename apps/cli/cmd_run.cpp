#include "commands.h"

namespace hearth::cli {
void register_run(CLI::App&) {}  // not yet implemented
}  // namespace hearth::cli
