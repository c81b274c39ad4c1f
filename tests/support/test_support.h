#pragma once
// Helpers shared by all test binaries: fixture paths and running the hearth binary.
#include <filesystem>
#include <string>
#include <vector>

namespace hearth::test {

// $HEARTH_SHARED or the ../shared beside the source tree.
std::filesystem::path shared_dir();
std::filesystem::path model_path(const std::string& file);  // shared/models/<file>
// Every file in dir (non-recursive) with the given extension, sorted.
std::vector<std::filesystem::path> files_with_extension(const std::filesystem::path& dir, const std::string& ext);

std::string read_file(const std::filesystem::path& p);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs build/bin/hearth with args (no shell), capturing stdout and stderr.
CommandResult run_hearth(const std::vector<std::string>& args, const std::string& stdin_text = "");

// A fresh temporary directory, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hearth::test
