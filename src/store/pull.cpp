#include "store/pull.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/version.h"
#include "store/files.h"
#include "store/http.h"
#include "store/sha256.h"

namespace hearth::store {

namespace fs = std::filesystem;

std::string hf_endpoint() {
  const char* env = std::getenv("HEARTH_HF_ENDPOINT");
  std::string e = env && *env ? env : "https://huggingface.co";
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

// ---------------------------------------------------------------- references

namespace {

bool is_repo_part(std::string_view s) {
  if (s.empty() || s.size() > 96 || s == "." || s.find("..") != std::string_view::npos) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// true when `quant` appears in the file name as a whole word: "model-Q4_K_M.gguf" has Q4_K_M.
bool file_has_quant(const std::string& file, const std::string& quant) {
  const std::string f = upper(fs::path(file).filename().string()), q = upper(quant);
  for (size_t p = f.find(q); p != std::string::npos; p = f.find(q, p + 1)) {
    const bool left = p == 0 || f[p - 1] == '-' || f[p - 1] == '.' || f[p - 1] == '_';
    const size_t e = p + q.size();
    const bool right = e < f.size() && (f[e] == '-' || f[e] == '.');
    if (left && right) return true;
  }
  return false;
}

std::string choose_repo_file(const std::string& endpoint, const std::string& repo, const std::string& quant) {
  const std::string api = endpoint + "/api/models/" + repo;
  const HttpResponse r = http_get(api);
  if (r.status == 404 || r.status == 401) fail("hf.co/{}: no such model repository ({} answered {})", repo, api, r.status);
  if (r.status != 200) fail("hf.co/{}: {} answered HTTP {}", repo, api, r.status);
  std::vector<std::string> ggufs;
  try {
    const auto j = nlohmann::json::parse(r.body);
    for (const auto& s : j.at("siblings")) {
      const std::string f = s.at("rfilename").get<std::string>();
      if (f.size() > 5 && f.ends_with(".gguf") && f.find("mmproj") == std::string::npos) ggufs.push_back(f);
    }
  } catch (const nlohmann::json::exception& e) {
    fail("hf.co/{}: unexpected answer from {}: {}", repo, api, e.what());
  }
  if (ggufs.empty()) fail("hf.co/{}: the repository has no .gguf file", repo);
  auto list = [&] {
    std::string s;
    for (const auto& f : ggufs) s += (s.empty() ? "" : ", ") + f;
    return s;
  };
  std::vector<std::string> hits;
  for (const auto& f : ggufs)
    if (file_has_quant(f, quant.empty() ? "Q4_K_M" : quant)) hits.push_back(f);
  // Split files (-00001-of-00003.gguf) are not supported; their first part would not load alone.
  if (hits.size() == 1) return hits[0];
  if (hits.size() > 1) fail("hf.co/{}: several files match '{}': {}", repo, quant.empty() ? "Q4_K_M" : quant, list());
  if (!quant.empty()) fail("hf.co/{}: no file for quantization '{}' (files: {})", repo, quant, list());
  if (ggufs.size() == 1) return ggufs[0];
  fail("hf.co/{}: several GGUF files; choose one with hf.co/{}:QUANT or hf.co/{}/FILE.gguf (files: {})", repo, repo,
       repo, list());
}

}  // namespace

PullRef resolve_pull_ref(std::string_view ref, const std::string& endpoint) {
  PullRef out;
  const std::string text(ref);
  if (text.find('\0') != std::string::npos) fail("pull: the reference contains a NUL byte");
  if (text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0) {
    out.url = text;
    std::string path = text.substr(text.find("//") + 2);
    if (auto q = path.find_first_of("?#"); q != std::string::npos) path.resize(q);
    const std::string file = path.substr(path.rfind('/') + 1);
    out.default_name = sanitize_name_part(fs::path(file).stem().string()) + ":latest";
    return out;
  }
  std::string rest;
  for (const char* prefix : {"hf.co/", "huggingface.co/"})
    if (text.rfind(prefix, 0) == 0) rest = text.substr(std::strlen(prefix));
  if (rest.empty())
    fail("pull '{}': expected hf.co/ORG/REPO[:QUANT], hf.co/ORG/REPO/FILE.gguf or an http(s):// URL", text);
  std::string quant;
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    quant = rest.substr(colon + 1);
    rest.resize(colon);
    if (!is_repo_part(quant)) fail("pull '{}': '{}' is not a quantization name", text, quant);
  }
  std::vector<std::string> parts;
  for (size_t i = 0; i <= rest.size();) {
    const size_t j = std::min(rest.find('/', i), rest.size());
    parts.push_back(rest.substr(i, j - i));
    i = j + 1;
  }
  for (const auto& p : parts)
    if (!is_repo_part(p)) fail("pull '{}': '{}' is not a valid repository or file name part", text, p);
  if (parts.size() < 2) fail("pull '{}': expected hf.co/ORG/REPO", text);
  const std::string repo = parts[0] + "/" + parts[1];
  std::string file;
  if (parts.size() > 2) {
    if (!quant.empty()) fail("pull '{}': give either :QUANT or a file, not both", text);
    for (size_t i = 2; i < parts.size(); ++i) file += (i > 2 ? "/" : "") + parts[i];
    if (!file.ends_with(".gguf")) fail("pull '{}': the file must be a .gguf", text);
    out.default_name = sanitize_name_part(fs::path(file).stem().string()) + ":latest";
  } else {
    file = choose_repo_file(endpoint, repo, quant);
    std::string model = parts[1];
    if (upper(model).ends_with("-GGUF")) model.resize(model.size() - 5);
    out.default_name = sanitize_name_part(model) + ":" + (quant.empty() ? "latest" : quant);
  }
  out.url = endpoint + "/" + repo + "/resolve/main/" + file;
  return out;
}

// ---------------------------------------------------------------- download

namespace {

// One partial download: the file, its sidecar (URL + stated digest) and a running hash that
// always covers exactly the bytes in the file.
struct Partial {
  fs::path path, meta_path;
  int fd = -1;
  uint64_t size = 0;
  Sha256 hash;
  std::string meta_digest;  // digest stated when the partial was started

  ~Partial() {
    if (fd >= 0) ::close(fd);
  }
  void truncate() {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
      fail("{}: cannot truncate: {}", path.string(), std::strerror(errno));
    size = 0;
    hash = Sha256();
  }
  void discard() {
    ::unlink(path.c_str());
    ::unlink(meta_path.c_str());
  }
};

struct Transfer {
  Partial* partial;
  const PullOptions* options;
  const std::string* url;
  std::chrono::steady_clock::time_point start;
  uint64_t requested_from = 0;
  uint64_t resumed_from = 0;
  long status = 0;
  bool body_started = false;
  int64_t range_start = -1;
  uint64_t total = 0;
  std::string linked_digest, etag_digest;
  std::string error_body;
  std::string fatal;  // set by a callback to abort

  std::string stated_digest() const { return linked_digest.empty() ? etag_digest : linked_digest; }
};

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// "W/\"abc\"" → "abc" when that is a sha256 in hex, else "".
std::string digest_from_etag(std::string v) {
  v = trim(v);
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return is_sha256_hex(v) ? v : "";
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect, or a 100)
    const auto sp = line.find(' ');
    t->status = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
    t->range_start = -1;
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string key = line.substr(0, colon);
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string value = trim(line.substr(colon + 1));
  if (key == "x-linked-etag") {
    if (auto d = digest_from_etag(value); !d.empty()) t->linked_digest = d;
  } else if (key == "etag") {
    if (auto d = digest_from_etag(value); !d.empty()) t->etag_digest = d;
  } else if (key == "x-linked-size") {
    t->total = std::strtoull(value.c_str(), nullptr, 10);
  } else if (key == "content-range") {  // "bytes S-E/T" or "bytes */T"
    const auto slash = value.rfind('/');
    if (slash != std::string::npos && value[slash + 1] != '*') t->total = std::strtoull(value.c_str() + slash + 1, nullptr, 10);
    if (value.rfind("bytes ", 0) == 0 && value.size() > 6 && std::isdigit(static_cast<unsigned char>(value[6])))
      t->range_start = static_cast<int64_t>(std::strtoull(value.c_str() + 6, nullptr, 10));
  } else if (key == "content-length" && t->status == 200) {
    t->total = std::strtoull(value.c_str(), nullptr, 10);
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  Partial& p = *t->partial;
  const size_t bytes = size * n;
  if (t->status != 200 && t->status != 206) {
    if (t->error_body.size() < 2048) t->error_body.append(data, std::min<size_t>(bytes, 2048));
    return bytes;
  }
  if (!t->body_started) {
    t->body_started = true;
    const std::string stated = t->stated_digest();
    if (!p.meta_digest.empty() && !stated.empty() && stated != p.meta_digest && p.size > 0) {
      // The file changed upstream since the partial was started: its bytes are useless.
      if (t->status == 206) {
        t->fatal = "restart";
        return 0;
      }
    }
    if (t->status == 206 && t->range_start != static_cast<int64_t>(t->requested_from)) {
      t->fatal = fmt::format("the server resumed at byte {} instead of {}", t->range_start, t->requested_from);
      return 0;
    }
    if (t->status == 200 && p.size > 0) {
      if (t->options->on_note) t->options->on_note("the server does not support resuming; starting over");
      try {
        p.truncate();
      } catch (const Error& e) {
        t->fatal = e.what();
        return 0;
      }
    }
    t->resumed_from = p.size;
    if (!stated.empty() && stated != p.meta_digest) {
      // Recorded before any byte is written, so a killed pull can tell on resuming whether
      // the file on the server is still the one it started.
      try {
        p.meta_digest = stated;
        nlohmann::json j{{"url", *t->url}, {"digest", stated}};
        write_file_atomic(p.meta_path, j.dump() + "\n");
      } catch (const Error& e) {
        t->fatal = e.what();
        return 0;
      }
    }
  }
  for (size_t done = 0; done < bytes;) {
    const ssize_t w = ::write(p.fd, data + done, bytes - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      t->fatal = fmt::format("{}: write failed: {}", p.path.string(), std::strerror(errno));
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  p.hash.update(std::string_view(data, bytes));
  p.size += bytes;
  if (t->options->on_progress) {
    PullProgress pr;
    pr.done = p.size;
    pr.total = t->total;
    pr.resumed_from = t->resumed_from;
    pr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t->start).count();
    t->options->on_progress(pr);
  }
  return bytes;
}

// Opens (or creates) the partial file for `url`, locks it and hashes what is already there.
void open_partial(const Store& store, const std::string& url, Partial& p) {
  store.ensure_layout();
  const std::string key = sha256_hex(url).substr(0, 32);
  p.path = store.partial_dir() / (key + ".partial");
  p.meta_path = store.partial_dir() / (key + ".json");
  p.fd = ::open(p.path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (p.fd < 0) fail("{}: cannot open: {}", p.path.string(), std::strerror(errno));
  if (::flock(p.fd, LOCK_EX | LOCK_NB) != 0)
    fail("{} is already being downloaded by another hearth process", url);
  if (std::ifstream in(p.meta_path); in) {
    try {
      const auto j = nlohmann::json::parse(in);
      if (j.value("url", "") == url) p.meta_digest = j.value("digest", "");
    } catch (const nlohmann::json::exception&) {
    }
  }
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(p.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("{}: read error: {}", p.path.string(), std::strerror(errno));
    if (n == 0) break;
    p.hash.update(std::string_view(buf.data(), static_cast<size_t>(n)));
    p.size += static_cast<uint64_t>(n);
  }
}

bool retryable(CURLcode rc) {
  switch (rc) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

PullResult pull_blob(const Store& store, const std::string& url, const PullOptions& options) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) fail("pull: '{}' is not an http(s) URL", url);
  Partial p;
  open_partial(store, url, p);
  PullResult result;
  result.resumed_from = p.size;
  if (p.size > 0 && options.on_note) options.on_note(fmt::format("resuming at byte {}", p.size));

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) fail("cannot initialise libcurl");
  const std::string agent = std::string("hearth/") + kVersion;
  const auto start = std::chrono::steady_clock::now();
  std::string stated;
  uint64_t total = 0;
  int failures = 0;  // consecutive transfers without progress
  for (int attempt = 1;; ++attempt) {
    Transfer t;
    t.partial = &p;
    t.options = &options;
    t.url = &url;
    t.start = start;
    t.requested_from = p.size;
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.low_speed_seconds);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, agent.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    // CURLOPT_RANGE rather than RESUME_FROM: a server that ignores ranges answers 200 and
    // on_body starts over instead of curl failing the transfer.
    const std::string range = std::to_string(p.size) + "-";
    if (p.size > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
    const uint64_t before = p.size;
    const CURLcode rc = curl_easy_perform(c);
    if (!t.stated_digest().empty()) stated = t.stated_digest();
    if (t.total) total = t.total;
    if (t.fatal == "restart") {
      p.meta_digest.clear();
      if (options.on_note) options.on_note("the file changed on the server since the interrupted pull; starting over");
      p.truncate();
      continue;
    }
    if (!t.fatal.empty()) fail("{}: {}", url, t.fatal);
    const bool progressed = p.size > before;
    failures = progressed ? 0 : failures + 1;
    const bool give_up = failures >= options.max_stalled || attempt >= options.max_attempts;
    if (rc == CURLE_OK && t.status == 416) {
      // The partial file already holds everything (or the server lost track): check the size.
      if (total > 0 && p.size == total) break;
      p.truncate();
      if (give_up) fail("{}: the server refuses the byte range", url);
      continue;
    }
    if (rc == CURLE_OK && (t.status == 200 || t.status == 206)) {
      if (total == 0 || p.size >= total) break;
      // The connection ended early without an error: go on from where it stopped.
    } else if (rc == CURLE_OK) {
      const bool transient = t.status == 429 || t.status >= 500;
      std::string body = trim(t.error_body.substr(0, 200));
      if (!transient || give_up)
        fail("{}: HTTP {}{}{}", url, t.status, body.empty() ? "" : ": ", body);
    } else if (!retryable(rc) || give_up) {
      fail("{}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    if (give_up) fail("{}: gave up after {} attempts ({} without progress)", url, attempt, failures);
    if (options.on_note)
      options.on_note(fmt::format("connection lost at byte {} ({}); retrying", p.size,
                                  rc == CURLE_OK ? "short response" : curl_easy_strerror(rc)));
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * failures));
  }

  if (::fsync(p.fd) != 0) fail("{}: fsync failed: {}", p.path.string(), std::strerror(errno));
  result.size = p.size;
  result.digest = p.hash.hex_digest();
  result.digest_stated = !stated.empty();
  if (total > 0 && p.size != total) {
    p.discard();
    fail("{}: downloaded {} bytes but the server announced {}; the file was discarded", url, p.size, total);
  }
  if (!stated.empty() && result.digest != stated) {
    p.discard();
    fail("{}: sha256 mismatch: the server states {} but the download hashes to {}; the file was discarded", url,
         stated, result.digest);
  }
  {
    auto lock = store.lock();
    if (store.has_blob(result.digest))
      ::unlink(p.path.c_str());
    else
      rename_durable(p.path, store.blob_path(result.digest));
    ::unlink(p.meta_path.c_str());
  }
  return result;
}

}  // namespace hearth::store
