// hearth serve [MODEL...]: the OpenAI- and Ollama-compatible HTTP server (see docs/http-api.md).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "server/server.h"

namespace hearth::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> models;
  std::string host = "127.0.0.1";
  int port = 11435;
  int parallel = 4;
  int queue = 32;
  int64_t batch = 256;
  size_t prefix_cache = 8;
  std::string api_key;
  std::string models_dir;
  std::string chat_template_file;
  std::string keep_alive = "5m";
  double max_body_mib = 8;
  double memory_budget_mib = 0;
  bool quiet = false;
  ContextFlags ctx;
};

int run_serve(const ServeArgs& a) {
  if (a.models.empty() && a.models_dir.empty()) fail("nothing to serve: give model files and/or --models-dir DIR");
  server::ServerOptions o;
  o.host = a.host;
  o.port = a.port;
  o.api_key = a.api_key;
  o.max_body_bytes = static_cast<size_t>(a.max_body_mib * 1024 * 1024);
  o.log_requests = !a.quiet;
  for (const auto& m : a.models) o.registry.model_files.emplace_back(m);
  o.registry.models_dir = a.models_dir;
  if (!a.chat_template_file.empty()) o.registry.chat_template_file = a.chat_template_file;
  o.registry.context = a.ctx.options();
  o.registry.scheduler.parallel = a.parallel;
  o.registry.scheduler.queue_limit = a.queue;
  o.registry.scheduler.batch_tokens = a.batch;
  o.registry.scheduler.prefix_cache = a.prefix_cache;
  o.registry.memory_budget = static_cast<uint64_t>(a.memory_budget_mib * 1024 * 1024);
  try {
    o.registry.default_keep_alive = server::parse_keep_alive(nlohmann::json(a.keep_alive), "--keep-alive");
  } catch (const std::exception& e) {
    fail("{}", e.what());
  }

  // SIGTERM/SIGINT go to a watcher thread (blocked everywhere else, so every thread started
  // from here on inherits the mask): it stops accepting, and in-flight requests finish.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::Server srv(o);
  srv.bind();
  for (const auto& e : srv.state().registry.list()) std::fprintf(stderr, "hearth serve: model %s (%s)\n", e.name.c_str(), e.path.c_str());
  std::printf("hearth serve: listening on http://%s:%d\n", a.host.c_str(), srv.port());
  std::fflush(stdout);

  std::atomic<bool> done{false};
  std::thread watcher([&] {
    const timespec tick{0, 200'000'000};
    while (!done.load()) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        std::fprintf(stderr, "hearth serve: %s, finishing in-flight requests\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        srv.stop();
        return;
      }
    }
  });
  srv.run();
  done.store(true);
  watcher.join();
  std::fprintf(stderr, "hearth serve: stopped\n");
  return 0;
}

}  // namespace

void register_serve(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  auto* sub = app.add_subcommand("serve", "Serve models over HTTP (OpenAI- and Ollama-compatible APIs)");
  sub->add_option("models", a->models, "Model files (GGUF), served under their file stems");
  sub->add_option("--host", a->host, "Address to listen on (loopback by default)")->capture_default_str();
  sub->add_option("--port", a->port, "Port (0: any free port, printed at start)")->capture_default_str()->check(CLI::Range(0, 65535));
  sub->add_option("--parallel", a->parallel, "Sequences decoded together per model")->capture_default_str()->check(CLI::Range(1, 256));
  sub->add_option("--queue", a->queue, "Requests that may wait for a slot before 503")->capture_default_str()->check(CLI::Range(0, 100000));
  sub->add_option("--batch", a->batch, "Tokens per forward pass (decode tokens + prompt chunks)")->capture_default_str()->check(CLI::Range(1, 65536));
  sub->add_option("--prefix-cache", a->prefix_cache, "Finished sequences kept for prefix reuse (0: off)")->capture_default_str();
  sub->add_option("--api-key", a->api_key, "Require 'Authorization: Bearer KEY' on every route but /health");
  sub->add_option("--models-dir", a->models_dir, "Serve every *.gguf in this folder under its file stem");
  sub->add_option("--chat-template-file", a->chat_template_file, "Jinja chat template used instead of the models' own");
  sub->add_option("--keep-alive", a->keep_alive, "How long an idle model stays loaded (5m, 30s, 0, -1 = forever)")->capture_default_str();
  sub->add_option("--max-body-mib", a->max_body_mib, "Largest request body in MiB (413 beyond)")->capture_default_str();
  sub->add_option("--memory-budget-mib", a->memory_budget_mib, "Memory for loaded models in MiB (default: 3/4 of RAM)");
  sub->add_flag("-q,--quiet", a->quiet, "No request log lines");
  a->ctx.add_to(sub);
  add_command(app, sub, [a] { return run_serve(*a); });
}

}  // namespace hearth::cli
