#pragma once
// Starts `hearth serve` on a free loopback port (--port 0; the port is read from its
// "listening on" line) and stops it with SIGTERM, for the integration tests.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "test_support.h"

extern char** environ;

namespace hearth::test {

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args) {
    int out_pipe[2];
    if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
    log_path_ = std::filesystem::temp_directory_path() / ("hearth-serve-" + std::to_string(getpid()) + "-" + std::to_string(counter()++) + ".log");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
    std::vector<std::string> full{HEARTH_BINARY, "serve", "--port", "0", "--host", "127.0.0.1"};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : full) argv.push_back(s.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, HEARTH_BINARY, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    if (rc != 0) throw std::runtime_error("cannot spawn " + std::string(HEARTH_BINARY));
    // Read stdout until the "listening on" line (or the process ends).
    std::string line;
    char c;
    FILE* f = fdopen(out_pipe[0], "r");
    while (fread(&c, 1, 1, f) == 1) {
      if (c != '\n') {
        line += c;
        continue;
      }
      if (auto at = line.rfind(':'); line.find("listening on") != std::string::npos && at != std::string::npos) {
        port_ = std::stoi(line.substr(at + 1));
        break;
      }
      line.clear();
    }
    stdout_ = f;  // kept open so the server never gets SIGPIPE on stdout
    if (port_ <= 0) {
      stop();
      throw std::runtime_error("hearth serve did not start: " + log());
    }
  }
  ~ServerProcess() {
    stop();
    if (stdout_) fclose(stdout_);
    std::error_code ec;
    std::filesystem::remove(log_path_, ec);
  }

  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(std::chrono::seconds(120));
    return c;
  }
  std::string log() const { return read_file(log_path_); }

  // SIGTERM, then wait; returns the exit status (-1 when it had to be killed).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300; ++i) {  // 30 s
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = 0;
    exit_code_ = -1;
    return exit_code_;
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  pid_t pid_ = 0;
  int port_ = 0;
  int exit_code_ = -1;
  FILE* stdout_ = nullptr;
  std::filesystem::path log_path_;
};

}  // namespace hearth::test
