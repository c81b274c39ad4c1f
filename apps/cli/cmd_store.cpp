#include "commands.h"

namespace hearth::cli {

void register_store_commands(CLI::App&) {}

}  // namespace hearth::cli
