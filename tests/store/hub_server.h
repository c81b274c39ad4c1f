#pragma once
// A stand-in for the Hugging Face hub in tests: a tiny HTTP/1.1 server on 127.0.0.1 (raw
// sockets, one connection at a time, Connection: close) that serves
//   /ORG/REPO/resolve/main/FILE  → 302 to /cdn/FILE with X-Linked-Etag (sha256) and X-Linked-Size
//   /cdn/FILE                    → the bytes, with Range support (206 + Content-Range, 416)
//   /api/models/ORG/REPO         → {"siblings":[{"rfilename":...}]}
// and can misbehave on purpose: state a wrong digest, drop the connection after K bytes, or
// send slowly. It records every request's path and Range header.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/sha256.h"

namespace hearth::test {

class HubServer {
 public:
  struct Request {
    std::string path;
    std::string range;  // the Range header, "" when none
  };

  HubServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("hub: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }

  ~HubServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Serves `bytes` as /ORG/REPO/resolve/main/FILE (repo = "ORG/REPO", file may hold '/').
  void add_file(const std::string& repo, const std::string& file, std::string bytes) {
    std::lock_guard l(mu_);
    const std::string digest = store::sha256_hex(bytes);
    files_[file] = File{std::move(bytes), digest};
    repos_[repo].push_back(file);
  }

  std::atomic<bool> wrong_digest{false};
  std::atomic<int64_t> drop_after_once{0};  // close the next body after this many bytes (0: never)
  std::atomic<int> slow_ms_per_chunk{0};     // delay per 16 KiB chunk
  std::atomic<bool> no_range{false};         // ignore Range headers (answer 200)

  std::vector<Request> requests() const {
    std::lock_guard l(mu_);
    return requests_;
  }

 private:
  struct File {
    std::string bytes;
    std::string digest;
  };

  static void send_all(int c, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      const ssize_t w = ::send(c, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (w <= 0) return;
      done += static_cast<size_t>(w);
    }
  }

  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      handle(c);
      ::close(c);
    }
  }

  void handle(int c) {
    std::string head;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (head.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      head.append(buf, static_cast<size_t>(n));
    }
    const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return;
    const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string range;
    for (size_t i = head.find("\r\n"); i != std::string::npos && i + 2 < head.size();) {
      const size_t e = head.find("\r\n", i + 2);
      std::string line = head.substr(i + 2, e - i - 2);
      std::string key = line.substr(0, line.find(':'));
      for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (key == "range") range = line.substr(line.find(':') + 1), range.erase(0, range.find_first_not_of(' '));
      i = e;
    }
    std::unique_lock l(mu_);
    requests_.push_back({path, range});
    if (path.rfind("/api/models/", 0) == 0) {
      auto it = repos_.find(path.substr(12));
      if (it == repos_.end()) return reply(c, 404, "", "{\"error\":\"Repository not found\"}");
      std::string body = "{\"siblings\":[";
      for (size_t k = 0; k < it->second.size(); ++k)
        body += (k ? "," : "") + std::string("{\"rfilename\":\"") + it->second[k] + "\"}";
      body += "]}";
      return reply(c, 200, "Content-Type: application/json\r\n", body);
    }
    if (const auto r = path.find("/resolve/main/"); r != std::string::npos) {
      const std::string file = path.substr(r + 14);
      auto it = files_.find(file);
      if (it == files_.end()) return reply(c, 404, "", "Entry not found");
      const std::string digest = wrong_digest ? std::string(64, 'a') : it->second.digest;
      return reply(c, 302,
                   "Location: /cdn/" + file + "\r\nX-Linked-Etag: \"" + digest + "\"\r\nX-Linked-Size: " +
                       std::to_string(it->second.bytes.size()) + "\r\n",
                   "");
    }
    if (path.rfind("/cdn/", 0) == 0) {
      auto it = files_.find(path.substr(5));
      if (it == files_.end()) return reply(c, 404, "", "Not found");
      const std::string bytes = it->second.bytes;  // copy: serve without the lock
      l.unlock();
      return serve_bytes(c, bytes, no_range ? "" : range);
    }
    reply(c, 404, "", "Not found");
  }

  void reply(int c, int status, const std::string& headers, const std::string& body) {
    send_all(c, "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers +
                    "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  }

  void serve_bytes(int c, const std::string& bytes, const std::string& range) {
    size_t start = 0;
    std::string status = "200 OK", extra;
    if (range.rfind("bytes=", 0) == 0) {
      start = std::stoull(range.substr(6));
      if (start >= bytes.size()) {
        reply(c, 416, "Content-Range: bytes */" + std::to_string(bytes.size()) + "\r\n", "");
        return;
      }
      status = "206 Partial Content";
      extra = "Content-Range: bytes " + std::to_string(start) + "-" + std::to_string(bytes.size() - 1) + "/" +
              std::to_string(bytes.size()) + "\r\n";
    }
    send_all(c, "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(bytes.size() - start) +
                    "\r\nAccept-Ranges: bytes\r\nETag: \"not-a-sha\"\r\n" + extra + "Connection: close\r\n\r\n");
    const int64_t drop = drop_after_once.exchange(0);
    size_t sent = 0;
    for (size_t off = start; off < bytes.size() && !stop_;) {
      size_t n = std::min<size_t>(16384, bytes.size() - off);
      if (drop > 0 && sent + n > static_cast<size_t>(drop)) n = static_cast<size_t>(drop) - sent;
      if (n > 0) {
        const ssize_t w = ::send(c, bytes.data() + off, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        off += static_cast<size_t>(w);
        sent += static_cast<size_t>(w);
      }
      if (drop > 0 && sent >= static_cast<size_t>(drop)) return;  // drop the connection mid-body
      if (const int ms = slow_ms_per_chunk.load(); ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::map<std::string, File> files_;
  std::map<std::string, std::vector<std::string>> repos_;
  std::vector<Request> requests_;
};

}  // namespace hearth::test
