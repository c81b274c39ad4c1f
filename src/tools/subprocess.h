#pragma once
// Running another program and capturing what it prints: the quantization report measures
// each model's speed and peak RSS in a process of its own, since a process's peak RSS only
// ever grows.
#include <string>
#include <vector>

namespace hearth::tools {

struct ProcessOutput {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;     // everything written to stdout
};

// Runs argv[0] (a path, no shell, no PATH search) with the given arguments; stdout is
// captured, stderr is inherited. Throws hearth::Error when the program cannot be started.
ProcessOutput run_process(const std::vector<std::string>& argv);

}  // namespace hearth::tools
