#include "commands.h"

namespace hearth::cli {

void register_serve(CLI::App&) {}

}  // namespace hearth::cli
