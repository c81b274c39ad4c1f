#include "store/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"
#include "store/sha256.h"

namespace hearth::store {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_if_exists(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    if (!fs::exists(p)) return std::nullopt;
    fail("{}: cannot read", p.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void remove_empty_parents(fs::path dir, const fs::path& stop) {
  std::error_code ec;
  while (dir != stop && dir.has_parent_path() && fs::is_empty(dir, ec) && !ec) {
    fs::remove(dir, ec);
    dir = dir.parent_path();
  }
}

}  // namespace

fs::path Store::default_home() {
  if (const char* h = std::getenv("HEARTH_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  if (!home || !*home) fail("neither HEARTH_HOME nor HOME is set: cannot place the model store");
  return fs::path(home) / ".hearth";
}

void Store::ensure_layout() const {
  std::error_code ec;
  for (const fs::path& d : {home_, home_ / "blobs", partial_dir(), home_ / "manifests", home_ / "signatures"}) {
    fs::create_directories(d, ec);
    if (ec) fail("{}: cannot create the model store directory: {}", d.string(), ec.message());
  }
}

fs::path Store::blob_path(const std::string& digest_hex) const {
  if (!is_sha256_hex(digest_hex)) fail("'{}' is not a sha256 digest", digest_hex);
  return home_ / "blobs" / ("sha256-" + digest_hex);
}

FileLock Store::lock() const {
  ensure_layout();
  return FileLock(home_ / ".lock");
}

bool Store::has_blob(const std::string& digest_hex) const { return fs::is_regular_file(blob_path(digest_hex)); }

Store::StagedBlob Store::stage_blob(const fs::path& file, bool hard_link) const {
  StagedBlob s;
  ensure_layout();
  if (!fs::is_regular_file(file)) fail("{}: not a regular file", file.string());
  if (hard_link) {
    s.digest = sha256_file(file);
    s.size = fs::file_size(file);
    if (has_blob(s.digest)) return s;
    fs::path tmp;
    ::close(make_temp_file(blobs_dir(), tmp));
    ::unlink(tmp.c_str());
    if (::link(file.c_str(), tmp.c_str()) == 0) {
      s.temp = tmp;
      return s;
    }
    // Different file system (EXDEV) or no permission: fall back to copying.
  }
  const int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("{}: cannot open: {}", file.string(), std::strerror(errno));
  fs::path tmp;
  const int out = make_temp_file(blobs_dir(), tmp);
  Sha256 h;
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  std::string error;
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = fmt::format("{}: read error: {}", file.string(), std::strerror(errno));
      break;
    }
    if (n == 0) break;
    h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
    total += static_cast<uint64_t>(n);
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        error = fmt::format("{}: write error: {}", tmp.string(), std::strerror(errno));
        break;
      }
      done += w;
    }
    if (!error.empty()) break;
  }
  if (error.empty() && (::fchmod(out, 0644) != 0 || ::fsync(out) != 0))
    error = fmt::format("{}: fsync failed: {}", tmp.string(), std::strerror(errno));
  ::close(in);
  ::close(out);
  if (!error.empty()) {
    ::unlink(tmp.c_str());
    fail("{}", error);
  }
  s.digest = h.hex_digest();
  s.size = total;
  if (has_blob(s.digest)) {
    ::unlink(tmp.c_str());
    return s;
  }
  s.temp = tmp;
  return s;
}

void Store::commit_blob(const StagedBlob& staged) const {
  if (staged.temp.empty()) return;
  rename_durable(staged.temp, blob_path(staged.digest));
}

void Store::discard_staged(const StagedBlob& staged) const {
  if (!staged.temp.empty()) ::unlink(staged.temp.c_str());
}

fs::path Store::manifest_path(const ModelName& name) const { return home_ / "manifests" / name.manifest_relpath(); }

fs::path Store::signature_path(const ModelName& name) const { return home_ / "signatures" / name.manifest_relpath(); }

std::optional<Manifest> Store::find(const ModelName& name) const {
  auto bytes = read_if_exists(manifest_path(name));
  if (!bytes) return std::nullopt;
  return Manifest::parse(*bytes, name.display());
}

Manifest Store::get(const ModelName& name) const {
  auto m = find(name);
  if (!m) fail("model '{}' not found in {} (hearth list shows the models there)", name.display(), home_.string());
  return *m;
}

std::string Store::manifest_bytes(const ModelName& name) const {
  auto bytes = read_if_exists(manifest_path(name));
  if (!bytes) fail("model '{}' not found in {}", name.display(), home_.string());
  return *bytes;
}

void Store::put(const ModelName& name, const Manifest& manifest) const {
  if (!has_blob(manifest.model_digest))
    fail("model '{}': blob sha256-{} is not in the store", name.display(), manifest.model_digest);
  const fs::path p = manifest_path(name);
  fs::create_directories(p.parent_path());
  // A changed manifest invalidates its signature.
  std::error_code ec;
  if (auto old = read_if_exists(p); old && *old != manifest.serialize()) fs::remove(signature_path(name), ec);
  write_file_atomic(p, manifest.serialize());
}

void Store::remove(const ModelName& name) const {
  const fs::path p = manifest_path(name);
  if (!fs::exists(p)) fail("model '{}' not found in {}", name.display(), home_.string());
  std::error_code ec;
  fs::remove(signature_path(name), ec);
  if (!fs::remove(p, ec) || ec) fail("{}: cannot remove: {}", p.string(), ec.message());
  fsync_path(p.parent_path());
  remove_empty_parents(p.parent_path(), home_ / "manifests");
  remove_empty_parents(signature_path(name).parent_path(), home_ / "signatures");
  collect_garbage();
}

void Store::copy(const ModelName& from, const ModelName& to) const {
  const std::string bytes = manifest_bytes(from);
  Manifest::parse(bytes, from.display());
  const fs::path p = manifest_path(to);
  fs::create_directories(p.parent_path());
  write_file_atomic(p, bytes);
  std::error_code ec;
  if (auto sig = signature_bytes(from))
    put_signature(to, *sig);
  else
    fs::remove(signature_path(to), ec);
}

std::vector<StoreEntry> Store::list() const {
  std::vector<StoreEntry> out;
  const fs::path root = home_ / "manifests";
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const fs::path rel = fs::relative(it->path(), root);
    std::vector<std::string> parts;
    for (const auto& p : rel) parts.push_back(p.string());
    if (parts.size() != 3 || parts[2].rfind(".tmp-", 0) == 0) continue;
    const std::string text = (parts[0] == "library" ? "" : parts[0] + "/") + parts[1] + ":" + parts[2];
    if (!is_valid_model_name(text)) continue;  // not ours: never guess
    StoreEntry e{parse_model_name(text), get(parse_model_name(text)), it->last_write_time()};
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const StoreEntry& a, const StoreEntry& b) {
    return a.name.display() < b.name.display();
  });
  return out;
}

size_t Store::collect_garbage() const {
  std::set<std::string> used;
  for (const auto& e : list()) used.insert(e.manifest.model_digest);
  size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(blobs_dir(), ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("sha256-", 0) != 0 || !e.is_regular_file()) continue;
    if (!used.contains(n.substr(7)) && fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

std::optional<std::string> Store::signature_bytes(const ModelName& name) const {
  return read_if_exists(signature_path(name));
}

void Store::put_signature(const ModelName& name, std::string_view bytes) const {
  const fs::path p = signature_path(name);
  fs::create_directories(p.parent_path());
  write_file_atomic(p, bytes);
}

}  // namespace hearth::store
