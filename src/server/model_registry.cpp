#include "server/model_registry.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "server/http_error.h"

namespace hearth::server {
namespace {

uint64_t default_budget() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 8ull << 30;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 4 * 3;
}

}  // namespace

LoadedModel::LoadedModel(ModelEntry entry, const RegistryOptions& options) : entry_(std::move(entry)) {
  const auto t0 = Clock::now();
  model_ = model::Model::load(entry_.path);
  tok_.emplace(tokenizer::Tokenizer::from_gguf(model_->file()));
  if (options.chat_template_file)
    tmpl_.emplace(chat::ChatTemplate::from_file(*options.chat_template_file, model_->file()));
  else if (chat::ChatTemplate::gguf_has_template(model_->file()))
    tmpl_.emplace(chat::ChatTemplate::from_gguf(model_->file()));
  sched_ = std::make_unique<engine::Scheduler>(model_, *tok_, options.context, options.scheduler);
  const auto& hp = model_->hparams();
  const uint64_t kv_per_seq = 2ull * static_cast<uint64_t>(hp.n_layer) * static_cast<uint64_t>(sched_->n_ctx()) *
                              static_cast<uint64_t>(hp.kv_dim_k()) *
                              (options.context.kv_type == model::KvType::F32 ? 4 : 2);
  memory_bytes_ = model_->file().file_size() +
                  kv_per_seq * (static_cast<uint64_t>(options.scheduler.parallel) + options.scheduler.prefix_cache);
  load_seconds_ = std::chrono::duration<double>(Clock::now() - t0).count();
  last_used_ = Clock::now();
}

void LoadedModel::begin_use() {
  std::lock_guard lock(mu_);
  ++users_;
  last_used_ = Clock::now();
}

void LoadedModel::end_use(std::chrono::milliseconds keep_alive) {
  std::lock_guard lock(mu_);
  --users_;
  last_used_ = Clock::now();
  if (keep_alive.count() < 0) expires_.reset();
  else expires_ = last_used_ + keep_alive;
}

bool LoadedModel::idle_expired(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  return users_ == 0 && expires_ && now >= *expires_;
}

bool LoadedModel::in_use() const {
  std::lock_guard lock(mu_);
  return users_ > 0;
}

std::optional<Clock::time_point> LoadedModel::expires_at() const {
  std::lock_guard lock(mu_);
  return users_ > 0 ? std::nullopt : expires_;
}

Clock::time_point LoadedModel::last_used() const {
  std::lock_guard lock(mu_);
  return last_used_;
}

ModelRegistry::ModelRegistry(RegistryOptions options) : options_(std::move(options)) {
  if (!options_.memory_budget) options_.memory_budget = default_budget();
  for (const auto& f : options_.model_files)
    if (!std::filesystem::is_regular_file(f)) fail("{}: no such model file", f.string());
  if (!options_.models_dir.empty() && !std::filesystem::is_directory(options_.models_dir))
    fail("{}: --models-dir is not a directory", options_.models_dir.string());
  reaper_ = std::thread([this] {
    std::unique_lock lock(reaper_mu_);
    while (!stopping_) {
      reaper_wake_.wait_for(lock, std::chrono::milliseconds(250));
      lock.unlock();
      reap();
      lock.lock();
    }
  });
}

ModelRegistry::~ModelRegistry() {
  {
    std::lock_guard lock(reaper_mu_);
    stopping_ = true;
  }
  reaper_wake_.notify_all();
  reaper_.join();
}

std::vector<ModelEntry> ModelRegistry::list() const {
  std::map<std::string, std::filesystem::path> by_name;
  if (!options_.models_dir.empty()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(options_.models_dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".gguf") by_name.emplace(e.path().stem().string(), e.path());
  }
  for (const auto& f : options_.model_files) by_name[f.stem().string()] = f;  // explicit files win
  std::vector<ModelEntry> out;
  for (auto& [name, path] : by_name) out.push_back({name, path});
  return out;
}

std::optional<ModelEntry> ModelRegistry::resolve(const std::string& name) const {
  // Files and --models-dir for now; the model store's "name:tag" lookup goes here.
  for (auto& e : list())
    if (e.name == name) return e;
  return std::nullopt;
}

std::shared_ptr<LoadedModel> ModelRegistry::acquire(const std::string& name) {
  std::shared_ptr<std::mutex> load_lock;
  {
    std::lock_guard lock(mu_);
    if (auto it = loaded_.find(name); it != loaded_.end()) {
      it->second->begin_use();
      return it->second;
    }
    auto& l = load_locks_[name];
    if (!l) l = std::make_shared<std::mutex>();
    load_lock = l;
  }
  std::lock_guard one_load(*load_lock);
  {
    std::lock_guard lock(mu_);  // someone else may have loaded it meanwhile
    if (auto it = loaded_.find(name); it != loaded_.end()) {
      it->second->begin_use();
      return it->second;
    }
  }
  auto entry = resolve(name);
  if (!entry) throw HttpError(404, fmt::format("model '{}' not found", name), "model", "model_not_found");
  ++loading_;
  std::shared_ptr<LoadedModel> m;
  try {
    m = std::make_shared<LoadedModel>(*entry, options_);
  } catch (const Error& e) {
    --loading_;
    throw HttpError(500, fmt::format("model '{}' failed to load: {}", name, e.what()), "model", "model_load_failed");
  }
  --loading_;
  make_room(m->memory_bytes());
  std::lock_guard lock(mu_);
  m->begin_use();
  loaded_[name] = m;
  return m;
}

void ModelRegistry::make_room(uint64_t bytes) {
  std::lock_guard lock(mu_);
  for (;;) {
    uint64_t used = bytes;
    for (auto& [n, m] : loaded_) used += m->memory_bytes();
    if (used <= options_.memory_budget) return;
    auto victim = loaded_.end();
    for (auto it = loaded_.begin(); it != loaded_.end(); ++it)
      if (!it->second->in_use() && (victim == loaded_.end() || it->second->last_used() < victim->second->last_used()))
        victim = it;
    if (victim == loaded_.end()) return;  // everything is busy: allow going over rather than failing
    loaded_.erase(victim);
  }
}

void ModelRegistry::unload(const std::string& name) {
  std::shared_ptr<LoadedModel> dropped;  // destroyed outside the lock (joins its scheduler)
  std::lock_guard lock(mu_);
  auto it = loaded_.find(name);
  if (it == loaded_.end()) return;
  if (it->second->in_use()) return;  // its end_use(0) lets the reaper take it
  dropped = std::move(it->second);
  loaded_.erase(it);
}

std::vector<std::shared_ptr<LoadedModel>> ModelRegistry::loaded() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<LoadedModel>> out;
  for (auto& [n, m] : loaded_) out.push_back(m);
  return out;
}

std::shared_ptr<LoadedModel> ModelRegistry::find_loaded(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = loaded_.find(name);
  return it == loaded_.end() ? nullptr : it->second;
}

void ModelRegistry::reap() {
  std::vector<std::shared_ptr<LoadedModel>> dropped;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    for (auto it = loaded_.begin(); it != loaded_.end();) {
      if (it->second->idle_expired(now)) {
        dropped.push_back(std::move(it->second));
        it = loaded_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

std::chrono::milliseconds parse_keep_alive(const nlohmann::json& v, const std::string& field) {
  using std::chrono::milliseconds;
  if (v.is_number()) {
    const double s = v.get<double>();
    return s < 0 ? milliseconds(-1) : milliseconds(static_cast<int64_t>(s * 1000));
  }
  if (!v.is_string()) bad_field(field, "'{}' must be a duration such as \"5m\", \"30s\" or a number of seconds", field);
  const std::string s = v.get<std::string>();
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  double n = 0;
  try {
    n = std::stod(s.substr(0, i));
  } catch (...) {
    bad_field(field, "'{}' must be a duration such as \"5m\", \"30s\" or a number of seconds (got \"{}\")", field, s);
  }
  const std::string unit = s.substr(i);
  double ms;
  if (unit.empty() || unit == "s") ms = n * 1000;
  else if (unit == "ms") ms = n;
  else if (unit == "m") ms = n * 60000;
  else if (unit == "h") ms = n * 3600000;
  else bad_field(field, "'{}' has an unknown unit '{}' (use ms, s, m or h)", field, unit);
  return n < 0 ? milliseconds(-1) : milliseconds(static_cast<int64_t>(ms));
}

}  // namespace hearth::server
