#include "commands.h"

namespace hearth::cli {
void register_tokenize(CLI::App&) {}  // not yet implemented
}  // namespace hearth::cli
