#include "commands.h"

namespace hearth::cli {
void register_quantize(CLI::App&) {}  // not yet implemented
}  // namespace hearth::cli
