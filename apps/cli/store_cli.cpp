#include "store_cli.h"

#include <fmt/format.h>

#include <map>

#include "core/error.h"
#include "tensor/ftype.h"

namespace hearth::cli {

std::string quantization_label(const gguf::File& f) {
  if (auto ft = f.get_int_optional("general.file_type")) {
    for (const auto& info : tensor::all_ftypes())
      if (static_cast<int64_t>(info.ftype) == *ft) return std::string(info.name);
  }
  std::map<std::string, uint64_t> bytes;
  for (const auto& t : f.tensors()) bytes[std::string(type_name(t.type))] += t.n_bytes;
  std::string best;
  uint64_t most = 0;
  for (const auto& [name, b] : bytes)
    if (b > most) best = name, most = b;
  return best.empty() ? "unknown" : best;
}

store::Manifest manifest_for_blob(const store::Store& s, const std::string& digest, const std::string& source) {
  const auto path = s.blob_path(digest);
  store::Manifest m;
  m.model_digest = digest;
  m.source = source;
  try {
    auto f = gguf::File::open(path);
    m.model_size = f.file_size();
    m.quantization = quantization_label(f);
    m.architecture = f.get_optional<std::string>("general.architecture").value_or("");
  } catch (const Error& e) {
    fail("{} is not a usable GGUF model: {}", source, e.what());
  }
  return m;
}

std::string human_size(uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double b = static_cast<double>(bytes);
  int u = 0;
  while (b >= 1000 && u < 4) b /= 1000, ++u;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", b, units[u]);
}

nlohmann::ordered_json store_json(const store::ResolvedModel& model) {
  const auto& m = model.manifest;
  nlohmann::ordered_json j = m.to_json();
  j.erase("schema");
  nlohmann::ordered_json out{{"name", model.display_name}};
  for (const auto& [k, v] : j.items()) out[k] = v;
  return out;
}

void print_store_text(const nlohmann::json& j) {
  fmt::print("store:\n");
  fmt::print("  name:         {}\n", j["name"].get<std::string>());
  fmt::print("  digest:       {}\n", j["model"]["digest"].get<std::string>());
  if (j.contains("source") && !j["source"].get<std::string>().empty())
    fmt::print("  source:       {}\n", j["source"].get<std::string>());
  fmt::print("parameters:\n");
  if (j["parameters"].empty()) fmt::print("  (none)\n");
  for (const auto& [k, v] : j["parameters"].items()) fmt::print("  {:<20} {}\n", k, v.dump());
  if (!j["system"].get<std::string>().empty()) fmt::print("system:\n  {}\n", j["system"].get<std::string>());
  if (!j["template"].get<std::string>().empty()) fmt::print("template:\n{}\n", j["template"].get<std::string>());
  for (const auto& m : j["messages"])
    fmt::print("message:        {}: {}\n", m["role"].get<std::string>(), m["content"].get<std::string>());
  for (const auto& l : j["license"]) fmt::print("license:\n{}\n", l.get<std::string>());
}

store::ResolvedModel resolve_cli_model(const std::string& name_or_path) {
  return store::resolve_model(name_or_path, store::Store::open_default());
}

}  // namespace hearth::cli
