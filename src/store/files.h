#pragma once
// Crash-safe file operations for the store: every write lands in a temporary file in the
// target's directory, is fsynced, then renamed over the target (and the directory fsynced),
// so a killed process leaves either the old file or the new one, never a partial one.
// Temporary names start with ".tmp-" and are never read as blobs or manifests.
#include <filesystem>
#include <string_view>

namespace hearth::store {

void write_file_atomic(const std::filesystem::path& path, std::string_view content, bool private_mode = false);
// Renames `from` over `to` (same file system) and fsyncs `to`'s directory.
void rename_durable(const std::filesystem::path& from, const std::filesystem::path& to);
void fsync_path(const std::filesystem::path& path);
// A fresh ".tmp-XXXXXX" file in `dir`, opened for writing; returns its fd and sets `path`.
int make_temp_file(const std::filesystem::path& dir, std::filesystem::path& path);

// An exclusive flock on a file, held for the object's lifetime. Blocks until acquired.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace hearth::store
