#include "server/server.h"

#include <httplib.h>

#include <cstdio>

#include "core/error.h"
#include "core/version.h"
#include "server/http_error.h"
#include "server/request_options.h"
#include "webui/assets.h"

namespace hearth::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

// When the request being served on this worker thread arrived (for the log line and the
// per-endpoint time in /metrics). Per thread, and each request runs on one thread.
thread_local SteadyClock::time_point t_request_start;

bool is_ollama_path(const std::string& path) { return path.starts_with("/api/"); }

void write_error(const httplib::Request& req, httplib::Response& res, const HttpError& e) {
  res.status = e.status();
  json body;
  if (is_ollama_path(req.path)) {
    body = {{"error", e.what()}};
  } else {
    body = {{"error",
             {{"message", e.what()},
              {"type", e.type()},
              {"param", e.param().empty() ? json(nullptr) : json(e.param())},
              {"code", e.code().empty() ? json(nullptr) : json(e.code())}}}};
  }
  if (e.status() == 503) res.set_header("Retry-After", "1");
  res.set_content(dump(body), "application/json");
}

// Groups paths for /metrics so that arbitrary URLs do not create unbounded label values.
std::string endpoint_label(const httplib::Request& req) {
  static constexpr const char* known[] = {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models",
                                          "/api/generate", "/api/chat", "/api/tags", "/api/show", "/api/ps",
                                          "/api/embed", "/api/embeddings", "/api/version", "/health", "/metrics"};
  for (const char* k : known)
    if (req.path == k) return k;
  if (req.path.starts_with("/v1/models/")) return "/v1/models/{id}";
  return "other";
}

}  // namespace

void ServerState::log(const std::string& line) const {
  if (options.log_requests) std::fprintf(stderr, "%s\n", line.c_str());
}

Server::Server(ServerOptions options)
    : state_(std::make_unique<ServerState>(std::move(options))), http_(std::make_unique<httplib::Server>()) {
  install_routes();
}

Server::~Server() = default;

void Server::install_routes() {
  auto& http = *http_;
  ServerState& st = *state_;
  // Enough workers for every decoding slot, a full queue and a few quick requests.
  const size_t workers = static_cast<size_t>(st.options.registry.scheduler.parallel + st.options.registry.scheduler.queue_limit + 8);
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http.set_payload_max_length(st.options.max_body_bytes);
  http.set_read_timeout(std::chrono::seconds(30));

  http.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response& res) {
    t_request_start = SteadyClock::now();
    if (st.options.api_key.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.empty()) {
      write_error(req, res, HttpError(401, "missing API key: send the header 'Authorization: Bearer KEY'", "Authorization", "missing_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!auth.starts_with("Bearer ") || auth.substr(7) != st.options.api_key) {
      write_error(req, res, HttpError(401, "invalid API key in the Authorization header", "Authorization", "invalid_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const HttpError& e) {
      write_error(req, res, e);
    } catch (const Error& e) {  // bad input found below the HTTP layer (template, tokenizer, sampler)
      write_error(req, res, HttpError(400, e.what()));
    } catch (const std::bad_alloc&) {
      write_error(req, res, HttpError(500, "out of memory"));
    } catch (const std::exception& e) {
      write_error(req, res, HttpError(500, e.what()));
    }
  });

  // Statuses httplib sets itself (413 body too large, 404 no route, 400 bad request line).
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413)
      write_error(req, res, HttpError(413, "the request body is larger than the server's limit", "body", "body_too_large"));
    else if (res.status == 404)
      write_error(req, res, HttpError(404, fmt::format("no route for {} {}", req.method, req.path)));
    else
      write_error(req, res, HttpError(res.status, fmt::format("HTTP error {}", res.status)));
    return httplib::Server::HandlerResponse::Handled;
  }));

  http.set_logger([&st](const httplib::Request& req, const httplib::Response& res) {
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - t_request_start).count();
    st.metrics.count_request(endpoint_label(req), res.status, seconds);
    st.log(fmt::format("{} \"{} {}\" {} {:.1f} ms", req.remote_addr, req.method, req.path, res.status, seconds * 1000));
  });

  http.Get("/health", [&st](const httplib::Request&, httplib::Response& res) {
    const bool loading = st.registry.loading();
    res.status = loading ? 503 : 200;
    res.set_content(dump(json{{"status", loading ? "loading" : "ok"}}), "application/json");
  });

  http.Get("/metrics", [&st](const httplib::Request&, httplib::Response& res) {
    std::vector<ModelGauges> gauges;
    for (auto& m : st.registry.loaded()) {
      const auto s = m->scheduler().stats();
      gauges.push_back({m->name(), s.queued, s.active, s.kv_cells, s.prompt_tokens, s.cached_tokens, s.generated_tokens,
                        m->load_seconds()});
    }
    res.set_content(st.metrics.render(gauges), "text/plain; version=0.0.4");
  });

  add_openai_routes(http, st);
  add_ollama_routes(http, st);

  // Everything else: the embedded web UI, or a 404 in OpenAI's shape.
  http.Get(".*", [](const httplib::Request& req, httplib::Response& res) {
    if (const auto* asset = webui::find_asset(req.path)) {
      res.set_content(std::string(asset->body), std::string(asset->content_type));
      return;
    }
    throw HttpError(404, fmt::format("no route for GET {}", req.path));
  });
}

void Server::bind() {
  auto& o = state_->options;
  if (o.port == 0) {
    port_ = http_->bind_to_any_port(o.host);
    if (port_ < 0) fail("cannot listen on {}: no free port", o.host);
  } else {
    if (!http_->bind_to_port(o.host, o.port)) fail("cannot listen on {}:{} (in use, or not an address of this machine)", o.host, o.port);
    port_ = o.port;
  }
}

void Server::run() { http_->listen_after_bind(); }

void Server::stop() { http_->stop(); }

}  // namespace hearth::server
