#pragma once
// The models a server offers and the ones it has loaded. Models load on first use, stay for
// their keep_alive after the last request (default 5 min; negative: forever; 0: unload when
// idle), and idle ones are unloaded, least recently used first, to stay within the memory
// budget when another model loads.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chat/chat_template.h"
#include "engine/scheduler.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace hearth::server {

using Clock = std::chrono::steady_clock;

struct ModelEntry {
  std::string name;  // what clients ask for
  std::filesystem::path path;
};

struct RegistryOptions {
  std::vector<std::filesystem::path> model_files;  // served under their file stems
  std::filesystem::path models_dir;                // every *.gguf in it, under its stem
  std::optional<std::filesystem::path> chat_template_file;
  engine::ContextOptions context;
  engine::SchedulerOptions scheduler;
  std::chrono::milliseconds default_keep_alive{5 * 60 * 1000};
  uint64_t memory_budget = 0;  // bytes for loaded models (weights + KV); 0: 3/4 of RAM
};

class LoadedModel {
 public:
  LoadedModel(ModelEntry entry, const RegistryOptions& options);

  const std::string& name() const { return entry_.name; }
  const std::filesystem::path& path() const { return entry_.path; }
  const model::Model& model() const { return *model_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tok_; }
  // The chat template (GGUF or --chat-template-file); nullptr when the model has none.
  const chat::ChatTemplate* chat_template() const { return tmpl_ ? &*tmpl_ : nullptr; }
  engine::Scheduler& scheduler() const { return *sched_; }  // thread-safe
  double load_seconds() const { return load_seconds_; }
  uint64_t memory_bytes() const { return memory_bytes_; }

  // Requests using the model keep it loaded; the keep_alive of the last one counts.
  void begin_use();
  void end_use(std::chrono::milliseconds keep_alive);
  bool idle_expired(Clock::time_point now) const;
  bool in_use() const;
  std::optional<Clock::time_point> expires_at() const;  // nullopt: never (or in use)
  Clock::time_point last_used() const;

 private:
  ModelEntry entry_;
  std::shared_ptr<const model::Model> model_;
  std::optional<tokenizer::Tokenizer> tok_;  // set by the constructor
  std::optional<chat::ChatTemplate> tmpl_;
  std::unique_ptr<engine::Scheduler> sched_;
  double load_seconds_ = 0;
  uint64_t memory_bytes_ = 0;

  mutable std::mutex mu_;
  int users_ = 0;
  Clock::time_point last_used_;
  std::optional<Clock::time_point> expires_;
};

class ModelRegistry {
 public:
  explicit ModelRegistry(RegistryOptions options);
  ~ModelRegistry();

  // Every model that can be served, sorted by name.
  std::vector<ModelEntry> list() const;
  // Name -> file. The single place where model-store names ("name:tag") will plug in;
  // nullopt when nothing has that name.
  std::optional<ModelEntry> resolve(const std::string& name) const;

  // The loaded model, loading it first if needed (404 HttpError naming an unknown model).
  // The caller must pair it with end_use().
  std::shared_ptr<LoadedModel> acquire(const std::string& name);
  void unload(const std::string& name);  // when idle; in-use models go as soon as they are idle
  std::vector<std::shared_ptr<LoadedModel>> loaded() const;
  std::shared_ptr<LoadedModel> find_loaded(const std::string& name) const;
  bool loading() const { return loading_.load() > 0; }
  const RegistryOptions& options() const { return options_; }
  // Drops idle models whose keep_alive ran out (called periodically by the reaper thread).
  void reap();

 private:
  void make_room(uint64_t bytes);

  RegistryOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<LoadedModel>> loaded_;
  std::map<std::string, std::shared_ptr<std::mutex>> load_locks_;  // one load per model at a time
  std::atomic<int> loading_{0};

  std::mutex reaper_mu_;
  std::condition_variable reaper_wake_;
  bool stopping_ = false;
  std::thread reaper_;
};

// Parses Ollama/OpenAI-style durations: a number of seconds, or a string "5m", "30s", "1h",
// "250ms", "-1" (negative: forever). A bad value is a 400 naming `field`.
std::chrono::milliseconds parse_keep_alive(const nlohmann::json& value, const std::string& field);

}  // namespace hearth::server
