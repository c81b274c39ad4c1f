#include "store/parameters.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "core/error.h"

namespace hearth::store {
namespace {

// Ollama's option names. Those hearth does not use (GPU placement, mmap) are accepted so
// existing Modelfiles load unchanged; they are kept in the manifest and ignored.
constexpr std::array<std::pair<std::string_view, ParamType>, 28> kParams{{
    {"temperature", ParamType::Float},     {"top_k", ParamType::Int},
    {"top_p", ParamType::Float},           {"min_p", ParamType::Float},
    {"typical_p", ParamType::Float},       {"repeat_penalty", ParamType::Float},
    {"repeat_last_n", ParamType::Int},     {"presence_penalty", ParamType::Float},
    {"frequency_penalty", ParamType::Float}, {"mirostat", ParamType::Int},
    {"mirostat_tau", ParamType::Float},    {"mirostat_eta", ParamType::Float},
    {"seed", ParamType::Int},              {"num_predict", ParamType::Int},
    {"num_ctx", ParamType::Int},           {"num_thread", ParamType::Int},
    {"stop", ParamType::String},           {"num_keep", ParamType::Int},
    {"num_batch", ParamType::Int},         {"num_gpu", ParamType::Int},
    {"main_gpu", ParamType::Int},          {"use_mmap", ParamType::Bool},
    {"use_mlock", ParamType::Bool},        {"numa", ParamType::Bool},
    {"low_vram", ParamType::Bool},         {"penalize_newline", ParamType::Bool},
    {"tfs_z", ParamType::Float},           {"num_gqa", ParamType::Int},
}};

const char* type_word(ParamType t) {
  switch (t) {
    case ParamType::Int: return "an integer";
    case ParamType::Float: return "a number";
    case ParamType::Bool: return "true or false";
    case ParamType::String: return "a string";
  }
  return "?";
}

}  // namespace

std::string known_parameters() {
  std::string out;
  for (const auto& [n, t] : kParams) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

ParamType parameter_type(std::string_view name) {
  for (const auto& [n, t] : kParams)
    if (n == name) return t;
  fail("unknown parameter '{}' (known: {})", name, known_parameters());
}

nlohmann::ordered_json parse_parameter(std::string_view name, std::string_view text) {
  const ParamType t = parameter_type(name);
  auto bad = [&]() -> nlohmann::ordered_json {
    fail("parameter '{}': '{}' is not {}", name, text, type_word(t));
  };
  switch (t) {
    case ParamType::Int: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return bad();
      return v;
    }
    case ParamType::Float: {
      double v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v)) return bad();
      return v;
    }
    case ParamType::Bool:
      if (text == "true" || text == "1") return true;
      if (text == "false" || text == "0") return false;
      return bad();
    case ParamType::String:
      return std::string(text);
  }
  return bad();
}

void set_parameter(nlohmann::ordered_json& params, std::string_view name, std::string_view text) {
  auto v = parse_parameter(name, text);
  const std::string key(name);
  if (name == "stop") {
    if (!params.contains(key) || !params[key].is_array()) params[key] = nlohmann::ordered_json::array();
    params[key].push_back(v);
  } else {
    params[key] = v;
  }
}

}  // namespace hearth::store
