// The model store commands: import, list, rm, cp, ps here; pull (cmd_pull.cpp), create
// (cmd_create.cpp), keygen/sign/verify (cmd_sign.cpp) register from their own files.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "core/error.h"
#include "store/http.h"
#include "store_cli.h"

namespace hearth::cli {
namespace {

namespace fs = std::filesystem;

std::string ago(fs::file_time_type t) {
  const auto now = fs::file_time_type::clock::now();
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
  if (s < 60) return "just now";
  if (s < 3600) return fmt::format("{} minute{} ago", s / 60, s / 60 == 1 ? "" : "s");
  if (s < 86400) return fmt::format("{} hour{} ago", s / 3600, s / 3600 == 1 ? "" : "s");
  return fmt::format("{} day{} ago", s / 86400, s / 86400 == 1 ? "" : "s");
}

int run_import(const std::string& file, const std::string& name_text, bool link) {
  // Names are checked before any copying.
  const store::ModelName name = store::parse_model_name(
      name_text.empty() ? store::sanitize_name_part(fs::path(file).stem().string()) + ":latest" : name_text);
  if (!fs::is_regular_file(file)) fail("{}: no such file", file);
  {
    auto f = gguf::File::open(file);  // refuse anything that does not parse before touching the store
  }
  const store::Store s = store::Store::open_default();
  auto staged = s.stage_blob(file, link);
  try {
    auto lock = s.lock();
    s.commit_blob(staged);
    store::Manifest m = manifest_for_blob(s, staged.digest, fs::absolute(file).string());
    if (auto old = s.find(name); old && old->model_digest == m.model_digest) {
      // Re-importing the same file keeps what a Modelfile added.
      m.parameters = old->parameters;
      m.template_text = old->template_text;
      m.system = old->system;
      m.messages = old->messages;
      m.licenses = old->licenses;
    }
    s.put(name, m);
    s.collect_garbage();
  } catch (...) {
    s.discard_staged(staged);
    throw;
  }
  fmt::print("imported {} as {} (sha256:{}, {})\n", file, name.display(), staged.digest.substr(0, 12),
             human_size(staged.size));
  return 0;
}

int run_list() {
  const store::Store s = store::Store::open_default();
  const auto entries = s.list();
  fmt::print("{:<32} {:<12} {:>10}  {:<8} {}\n", "NAME", "ID", "SIZE", "QUANT", "MODIFIED");
  for (const auto& e : entries)
    fmt::print("{:<32} {:<12} {:>10}  {:<8} {}\n", e.name.display(), e.manifest.model_digest.substr(0, 12),
               human_size(e.manifest.model_size), e.manifest.quantization.empty() ? "-" : e.manifest.quantization,
               ago(e.modified));
  return 0;
}

int run_rm(const std::vector<std::string>& names) {
  std::vector<store::ModelName> parsed;
  for (const auto& n : names) parsed.push_back(store::parse_model_name(n));
  const store::Store s = store::Store::open_default();
  auto lock = s.lock();
  for (const auto& n : parsed) {
    s.remove(n);
    fmt::print("deleted '{}'\n", n.display());
  }
  return 0;
}

int run_cp(const std::string& from, const std::string& to) {
  const auto src = store::parse_model_name(from), dst = store::parse_model_name(to);
  const store::Store s = store::Store::open_default();
  auto lock = s.lock();
  s.copy(src, dst);
  fmt::print("copied '{}' to '{}'\n", src.display(), dst.display());
  return 0;
}

std::string server_host() {
  const char* h = std::getenv("HEARTH_HOST");
  std::string host = h && *h ? h : "http://127.0.0.1:11435";
  if (host.find("://") == std::string::npos) host = "http://" + host;
  while (!host.empty() && host.back() == '/') host.pop_back();
  return host;
}

int run_ps() {
  const std::string url = server_host() + "/api/ps";
  store::HttpResponse r;
  try {
    r = store::http_get(url, 10);
  } catch (const Error& e) {
    fail("no hearth server answers at {} (start one with hearth serve, or set HEARTH_HOST): {}", server_host(),
         e.what());
  }
  if (r.status != 200) fail("{}: HTTP {}", url, r.status);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: the answer is not JSON: {}", url, e.what());
  }
  if (!j.is_object() || !j.contains("models") || !j["models"].is_array())
    fail("{}: the answer has no \"models\" list", url);
  fmt::print("{:<32} {:<12} {:>10}  {}\n", "NAME", "ID", "SIZE", "UNTIL");
  for (const auto& m : j["models"]) {
    if (!m.is_object()) continue;
    const std::string digest = m.value("digest", std::string());
    const uint64_t size = m.contains("size") && m["size"].is_number_unsigned() ? m["size"].get<uint64_t>() : 0;
    fmt::print("{:<32} {:<12} {:>10}  {}\n", m.value("name", m.value("model", std::string("?"))),
               digest.substr(0, std::min<size_t>(12, digest.size())), human_size(size),
               m.value("expires_at", std::string("-")));
  }
  return 0;
}

}  // namespace

void register_store_commands(CLI::App& app) {
  register_pull(app);
  {
    auto* sub = app.add_subcommand("import", "Copy a GGUF file into the model store under a name");
    auto file = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    auto link = std::make_shared<bool>(false);
    sub->add_option("file", *file, "GGUF model file")->required();
    sub->add_option("--name", *name, "Store name NAME[:TAG] (default: the file name, tag latest)");
    sub->add_flag("--link", *link, "Hard-link instead of copying when on the same file system");
    add_command(app, sub, [=] { return run_import(*file, *name, *link); });
  }
  {
    auto* sub = app.add_subcommand("list", "List the models in the store");
    sub->alias("ls");
    add_command(app, sub, [] { return run_list(); });
  }
  {
    auto* sub = app.add_subcommand("rm", "Remove models from the store");
    auto names = std::make_shared<std::vector<std::string>>();
    sub->add_option("names", *names, "NAME[:TAG] ...")->required();
    add_command(app, sub, [=] { return run_rm(*names); });
  }
  {
    auto* sub = app.add_subcommand("cp", "Copy a model to a new name");
    auto from = std::make_shared<std::string>();
    auto to = std::make_shared<std::string>();
    sub->add_option("source", *from, "Existing NAME[:TAG]")->required();
    sub->add_option("destination", *to, "New NAME[:TAG]")->required();
    add_command(app, sub, [=] { return run_cp(*from, *to); });
  }
  {
    auto* sub = app.add_subcommand("ps", "List the models a running hearth server has loaded (HEARTH_HOST)");
    add_command(app, sub, [] { return run_ps(); });
  }
  register_create(app);
  register_signature_commands(app);
}

}  // namespace hearth::cli
