// hearth show MODEL [--json]: what a GGUF file holds, without loading the weights.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "gguf/reader.h"
#include "store_cli.h"

namespace hearth::cli {
namespace {

struct TypeMix {
  int64_t count = 0;
  uint64_t bytes = 0;
};

nlohmann::json describe(const gguf::File& f) {
  using nlohmann::json;
  json j;
  j["file"] = f.name();
  j["gguf_version"] = f.version();
  j["file_bytes"] = f.file_size();
  const std::string arch = f.get_optional<std::string>("general.architecture").value_or("");
  j["architecture"] = arch;
  if (auto n = f.get_optional<std::string>("general.name")) j["name"] = *n;
  if (auto ft = f.get_int_optional("general.file_type")) j["file_type"] = *ft;

  int64_t params = 0;
  std::map<std::string, TypeMix> mix;
  for (const auto& t : f.tensors()) {
    params += t.n_elements();
    auto& m = mix[std::string(type_name(t.type))];
    m.count++;
    m.bytes += t.n_bytes;
  }
  j["parameters"] = params;
  j["tensor_count"] = f.tensors().size();
  json jm = json::array();
  for (const auto& [name, m] : mix) jm.push_back({{"type", name}, {"tensors", m.count}, {"bytes", m.bytes}});
  j["quantization_mix"] = jm;

  json hp = json::object();
  if (!arch.empty()) {
    const std::string p = arch + ".";
    for (const char* k : {"context_length", "embedding_length", "block_count", "feed_forward_length",
                          "attention.head_count", "attention.head_count_kv", "attention.key_length",
                          "attention.value_length", "rope.dimension_count", "vocab_size"}) {
      const gguf::Value* v = f.find(p + k);
      if (!v) continue;
      if (auto i = f.get_int_optional(p + k)) hp[k] = *i;
    }
    for (const char* k : {"attention.layer_norm_rms_epsilon", "rope.freq_base", "rope.scaling.factor"}) {
      if (f.find(p + k)) {
        try {
          hp[k] = f.get_float(p + k);
        } catch (const Error&) {
        }
      }
    }
  }
  j["hyperparameters"] = hp;
  if (hp.contains("context_length")) j["context_length"] = hp["context_length"];

  json tok = json::object();
  if (auto m = f.get_optional<std::string>("tokenizer.ggml.model")) tok["model"] = *m;
  if (auto pre = f.get_optional<std::string>("tokenizer.ggml.pre")) tok["pre"] = *pre;
  if (const gguf::Value* v = f.find("tokenizer.ggml.tokens"); v && v->type() == gguf::ValueType::ARRAY)
    tok["vocab_size"] = std::get<gguf::Array>(v->data).items.size();
  j["tokenizer"] = tok;
  j["chat_template"] = f.find("tokenizer.chat_template") != nullptr;
  return j;
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.2f} {}", b, units[u]);
}

std::string human_count(int64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f}B", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1'000) return fmt::format("{:.1f}K", n / 1e3);
  return std::to_string(n);
}

void print_text(const nlohmann::json& j) {
  fmt::print("file:           {}\n", j["file"].get<std::string>());
  fmt::print("architecture:   {}\n", j["architecture"].get<std::string>());
  if (j.contains("name")) fmt::print("name:           {}\n", j["name"].get<std::string>());
  fmt::print("parameters:     {} ({})\n", human_count(j["parameters"]), j["parameters"].get<int64_t>());
  fmt::print("size:           {} ({} tensors)\n", human_bytes(j["file_bytes"].get<double>()),
             j["tensor_count"].get<int64_t>());
  if (j.contains("context_length")) fmt::print("context length: {}\n", j["context_length"].dump());
  fmt::print("hyperparameters:\n");
  for (const auto& [k, v] : j["hyperparameters"].items()) fmt::print("  {:<34} {}\n", k, v.dump());
  const auto& tok = j["tokenizer"];
  fmt::print("tokenizer:      {}{}{}\n", tok.value("model", std::string("none")),
             tok.contains("pre") ? " / pre " + tok["pre"].get<std::string>() : "",
             tok.contains("vocab_size") ? fmt::format(", {} tokens", tok["vocab_size"].get<int64_t>()) : "");
  fmt::print("chat template:  {}\n", j["chat_template"].get<bool>() ? "present" : "absent");
  fmt::print("quantization mix:\n");
  fmt::print("  {:<8} {:>8} {:>14}\n", "type", "tensors", "bytes");
  for (const auto& m : j["quantization_mix"])
    fmt::print("  {:<8} {:>8} {:>14}\n", m["type"].get<std::string>(), m["tensors"].get<int64_t>(),
               m["bytes"].get<uint64_t>());
}

}  // namespace

void register_show(CLI::App& app) {
  auto* sub = app.add_subcommand("show", "Show a model's architecture, size, hyper-parameters and quantization mix");
  auto model = std::make_shared<std::string>();
  auto json_out = std::make_shared<bool>(false);
  sub->add_option("model", *model, "GGUF model file or store name (hearth list)")->required();
  sub->add_flag("--json", *json_out, "Print JSON instead of text");
  add_command(app, sub, [model, json_out] {
    const auto resolved = resolve_cli_model(*model);
    auto f = gguf::File::open(resolved.path);
    auto j = describe(f);
    if (resolved.from_store()) j["store"] = store_json(resolved);
    if (*json_out) {
      std::cout << j.dump(2) << "\n";
    } else {
      print_text(j);
      if (resolved.from_store()) print_store_text(j["store"]);
    }
    return 0;
  });
}

}  // namespace hearth::cli
