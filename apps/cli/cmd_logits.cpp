#include "commands.h"

namespace hearth::cli {
void register_logits(CLI::App&) {}  // not yet implemented
}  // namespace hearth::cli
