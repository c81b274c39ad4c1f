// hearth create NAME -f Hearthfile: a store model from a Modelfile (FROM a GGUF file or an
// existing store model, plus PARAMETER/TEMPLATE/SYSTEM/MESSAGE/LICENSE).
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "core/error.h"
#include "store/modelfile.h"
#include "store_cli.h"

namespace hearth::cli {
namespace {

namespace fs = std::filesystem;

std::string read_modelfile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("{}: cannot read the Modelfile", p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path default_modelfile() {
  for (const char* n : {"Hearthfile", "Modelfile"})
    if (fs::is_regular_file(n)) return n;
  fail("no Hearthfile or Modelfile in the current directory (give one with -f)");
}

int run_create(const std::string& name_text, std::string file) {
  const store::ModelName name = store::parse_model_name(name_text);
  const fs::path mf_path = file.empty() ? default_modelfile() : fs::path(file);
  const store::Modelfile mf = store::parse_modelfile(read_modelfile(mf_path), mf_path.string());
  const store::Store s = store::Store::open_default();

  // FROM: a file (relative to the Modelfile's folder; ~/ expanded) wins over a store name.
  fs::path from_file = mf.from;
  if (mf.from.rfind("~/", 0) == 0)
    if (const char* home = std::getenv("HOME")) from_file = fs::path(home) / mf.from.substr(2);
  if (from_file.is_relative()) from_file = mf_path.parent_path() / from_file;
  std::error_code ec;
  store::Manifest m;
  store::Store::StagedBlob staged;
  if (mf.from.find('\0') == std::string::npos && fs::is_regular_file(from_file, ec)) {
    { auto f = gguf::File::open(from_file); }
    staged = s.stage_blob(from_file, false);
    m.source = fs::absolute(from_file).string();
  } else {
    if (mf.from.ends_with(".gguf") || mf.from.rfind("./", 0) == 0 || mf.from.rfind("../", 0) == 0 ||
        mf.from.front() == '/')
      fail("{}: FROM {}: no such file ({})", mf_path.string(), mf.from, from_file.string());
    store::ModelName base;
    try {
      base = store::parse_model_name(mf.from);
    } catch (const Error& e) {
      fail("{}: FROM: {}", mf_path.string(), e.what());
    }
    m = s.get(base);  // inherits parameters, template, system, messages and licenses
  }
  for (const auto& [k, v] : mf.parameters.items()) m.parameters[k] = v;
  if (mf.template_text) m.template_text = *mf.template_text;
  if (mf.system) m.system = *mf.system;
  if (!mf.messages.empty()) m.messages = mf.messages;
  if (!mf.licenses.empty()) m.licenses = mf.licenses;

  try {
    auto lock = s.lock();
    if (!staged.digest.empty()) {
      s.commit_blob(staged);
      const store::Manifest base = manifest_for_blob(s, staged.digest, m.source);
      m.model_digest = base.model_digest;
      m.model_size = base.model_size;
      m.quantization = base.quantization;
      m.architecture = base.architecture;
    }
    s.put(name, m);
    s.collect_garbage();
  } catch (...) {
    s.discard_staged(staged);
    throw;
  }
  fmt::print("created {} (sha256:{}, {} parameter{}{}{})\n", name.display(), m.model_digest.substr(0, 12),
             m.parameters.size(), m.parameters.size() == 1 ? "" : "s", m.template_text.empty() ? "" : ", template",
             m.system.empty() ? "" : ", system prompt");
  return 0;
}

}  // namespace

void register_create(CLI::App& app) {
  auto* sub = app.add_subcommand("create", "Create a store model from a Hearthfile (Ollama Modelfile syntax)");
  auto name = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  sub->add_option("name", *name, "NAME[:TAG] to create")->required();
  sub->add_option("-f,--file", *file, "Hearthfile/Modelfile (default: ./Hearthfile, then ./Modelfile)");
  add_command(app, sub, [=] { return run_create(*name, *file); });
}

}  // namespace hearth::cli
