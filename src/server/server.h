#pragma once
// `hearth serve`: the HTTP server (cpp-httplib) in front of the model registry. Routes are
// added by openai_api.cpp and ollama_api.cpp; this file owns the cross-cutting parts: API key,
// body limit, error shapes, request log, /health, /metrics, static web UI, shutdown.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "server/metrics.h"
#include "server/model_registry.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace hearth::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 11435;  // 0: any free port (see port())
  std::string api_key;  // empty: no authentication
  size_t max_body_bytes = 8u << 20;
  bool log_requests = true;
  RegistryOptions registry;
};

// What route handlers share.
struct ServerState {
  ServerOptions options;
  ModelRegistry registry;
  Metrics metrics;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  explicit ServerState(ServerOptions o) : options(o), registry(o.registry) {}
  void log(const std::string& line) const;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Binds (the port is then known) without serving yet; a port in use is a hearth::Error.
  void bind();
  int port() const { return port_; }
  // Serves until stop(); in-flight requests finish first.
  void run();
  // Thread-safe; also fine from a signal-watching thread.
  void stop();
  ServerState& state() { return *state_; }

 private:
  void install_routes();
  std::unique_ptr<ServerState> state_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
};

void add_openai_routes(httplib::Server& http, ServerState& state);
void add_ollama_routes(httplib::Server& http, ServerState& state);

}  // namespace hearth::server
