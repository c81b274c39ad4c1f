#include "server/request_options.h"

#include <random>

#include "core/error.h"
#include "sampling/grammar/json_schema.h"
#include "server/http_error.h"

namespace hearth::server {
namespace {

std::string full(const std::string& prefix, const std::string& name) { return prefix.empty() ? name : prefix + "." + name; }

std::vector<std::string> parse_stop(const json& v, const std::string& field) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& s : v) {
      if (!s.is_string()) bad_field(field, "'{}' must be a string or an array of strings", field);
      out.push_back(s.get<std::string>());
    }
  } else {
    bad_field(field, "'{}' must be a string or an array of strings", field);
  }
  for (const auto& s : out)
    if (s.empty()) bad_field(field, "'{}' contains an empty stop string", field);
  return out;
}

std::string schema_grammar(const json& schema, const std::string& field) {
  if (!schema.is_object()) bad_field(field, "'{}' must be a JSON Schema object", field);
  try {
    return sampling::grammar::json_schema_to_gbnf(schema);
  } catch (const Error& e) {
    bad_field(field, "'{}' is not a usable JSON Schema: {}", field, e.what());
  }
}

void finish(GenOptions& o, const std::string& prefix) {
  try {
    o.sampler.validate();
  } catch (const Error& e) {
    throw HttpError(400, e.what(), prefix.empty() ? "sampling" : prefix, "invalid_value");
  }
}

}  // namespace

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json parse_body(const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    throw HttpError(400, fmt::format("the request body is not valid JSON: {}", e.what()), "body", "invalid_json");
  }
  if (!j.is_object()) throw HttpError(400, "the request body must be a JSON object", "body", "invalid_json");
  return j;
}

std::optional<std::string> get_string(const json& obj, const std::string& name, const std::string& prefix) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) bad_field(full(prefix, name), "'{}' must be a string", full(prefix, name));
  return it->get<std::string>();
}

std::optional<bool> get_bool(const json& obj, const std::string& name, const std::string& prefix) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) bad_field(full(prefix, name), "'{}' must be a boolean", full(prefix, name));
  return it->get<bool>();
}

std::optional<double> get_number(const json& obj, const std::string& name, const std::string& prefix) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) bad_field(full(prefix, name), "'{}' must be a number", full(prefix, name));
  return it->get<double>();
}

std::optional<int64_t> get_int(const json& obj, const std::string& name, const std::string& prefix) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  bad_field(full(prefix, name), "'{}' must be an integer", full(prefix, name));
}

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32 | rd()) & ((1ull << 53) - 1);  // exact in JSON doubles
}

GenOptions openai_options(const json& b, int64_t vocab_size) {
  GenOptions o;
  auto& s = o.sampler;
  s.temperature = 1.0f;  // OpenAI's defaults: plain sampling unless asked
  s.top_p = 1.0f;
  s.top_k = 0;
  s.min_p = 0.0f;
  if (auto v = get_int(b, "max_completion_tokens")) {
    if (*v < 0) bad_field("max_completion_tokens", "'max_completion_tokens' must be >= 0 (got {})", *v);
    o.max_tokens = *v;
  } else if (auto v = get_int(b, "max_tokens")) {
    if (*v < 0) bad_field("max_tokens", "'max_tokens' must be >= 0 (got {})", *v);
    o.max_tokens = *v;
  }
  if (auto v = get_number(b, "temperature")) {
    if (*v < 0 || *v > 2) bad_field("temperature", "'temperature' must be between 0 and 2 (got {})", *v);
    s.temperature = static_cast<float>(*v);
  }
  if (auto v = get_number(b, "top_p")) {
    if (*v < 0 || *v > 1) bad_field("top_p", "'top_p' must be between 0 and 1 (got {})", *v);
    s.top_p = static_cast<float>(*v);
  }
  if (auto v = get_int(b, "top_k")) s.top_k = static_cast<int32_t>(*v);
  if (auto v = get_number(b, "min_p")) s.min_p = static_cast<float>(*v);
  if (auto v = get_number(b, "typical_p")) s.typical_p = static_cast<float>(*v);
  if (auto v = get_number(b, "repeat_penalty")) s.repeat_penalty = static_cast<float>(*v);
  if (auto v = get_number(b, "presence_penalty")) {
    if (*v < -2 || *v > 2) bad_field("presence_penalty", "'presence_penalty' must be between -2 and 2 (got {})", *v);
    s.presence_penalty = static_cast<float>(*v);
  }
  if (auto v = get_number(b, "frequency_penalty")) {
    if (*v < -2 || *v > 2) bad_field("frequency_penalty", "'frequency_penalty' must be between -2 and 2 (got {})", *v);
    s.frequency_penalty = static_cast<float>(*v);
  }
  if (auto v = get_int(b, "seed")) s.seed = static_cast<uint64_t>(*v);
  else s.seed = random_seed();
  if (auto v = get_int(b, "n"); v && *v != 1) bad_field("n", "only n = 1 is supported (got {})", *v);
  if (b.contains("stop")) o.stop = parse_stop(b["stop"], "stop");
  if (auto it = b.find("logit_bias"); it != b.end() && !it->is_null()) {
    if (!it->is_object()) bad_field("logit_bias", "'logit_bias' must be an object of token id -> bias");
    for (const auto& [k, v] : it->items()) {
      int64_t id = -1;
      try {
        size_t used = 0;
        id = std::stoll(k, &used);
        if (used != k.size()) id = -1;
      } catch (...) {
      }
      if (id < 0 || id >= vocab_size) bad_field("logit_bias", "logit_bias key '{}' is not a token id (0..{})", k, vocab_size - 1);
      if (!v.is_number()) bad_field("logit_bias", "logit_bias['{}'] must be a number", k);
      s.logit_bias.push_back({static_cast<int32_t>(id), v.get<float>()});
    }
  }
  // logprobs: a boolean on chat completions, an integer (the number of alternatives) on completions.
  if (auto it = b.find("logprobs"); it != b.end() && !it->is_null()) {
    if (it->is_boolean()) {
      o.logprobs = it->get<bool>();
    } else if (it->is_number_integer()) {
      const auto n = it->get<int64_t>();
      if (n < 0 || n > 20) bad_field("logprobs", "'logprobs' must be between 0 and 20 (got {})", n);
      o.logprobs = true;
      o.top_logprobs = static_cast<int>(n);
    } else {
      bad_field("logprobs", "'logprobs' must be a boolean");
    }
  }
  if (auto v = get_int(b, "top_logprobs")) {
    if (*v < 0 || *v > 20) bad_field("top_logprobs", "'top_logprobs' must be between 0 and 20 (got {})", *v);
    o.top_logprobs = static_cast<int>(*v);
  }
  if (auto it = b.find("response_format"); it != b.end() && !it->is_null()) {
    if (!it->is_object()) bad_field("response_format", "'response_format' must be an object");
    const auto type = get_string(*it, "type", "response_format").value_or("text");
    if (type == "json_object") {
      s.grammar = sampling::grammar::any_json_gbnf();
    } else if (type == "json_schema") {
      auto js = it->find("json_schema");
      if (js == it->end() || !js->is_object()) bad_field("response_format.json_schema", "'response_format.json_schema' must be an object with a 'schema'");
      auto schema = js->find("schema");
      if (schema == js->end()) bad_field("response_format.json_schema.schema", "'response_format.json_schema.schema' is missing");
      s.grammar = schema_grammar(*schema, "response_format.json_schema.schema");
    } else if (type != "text") {
      bad_field("response_format.type", "'response_format.type' must be text, json_object or json_schema (got '{}')", type);
    }
  }
  if (auto v = get_bool(b, "truncate")) o.truncate = *v;
  finish(o, "");
  return o;
}

GenOptions ollama_options(const json& b, int64_t vocab_size) {
  GenOptions o;
  auto& s = o.sampler;
  s.seed = random_seed();
  if (auto it = b.find("options"); it != b.end() && !it->is_null()) {
    if (!it->is_object()) bad_field("options", "'options' must be an object");
    const json& opt = *it;
    const std::string p = "options";
    if (auto v = get_int(opt, "num_predict", p)) o.max_tokens = *v < 0 ? -1 : *v;
    if (auto v = get_number(opt, "temperature", p)) {
      if (*v < 0) bad_field("options.temperature", "'options.temperature' must be >= 0 (got {})", *v);
      s.temperature = static_cast<float>(*v);
    }
    if (auto v = get_int(opt, "top_k", p)) s.top_k = static_cast<int32_t>(*v);
    if (auto v = get_number(opt, "top_p", p)) s.top_p = static_cast<float>(*v);
    if (auto v = get_number(opt, "min_p", p)) s.min_p = static_cast<float>(*v);
    if (auto v = get_number(opt, "typical_p", p)) s.typical_p = static_cast<float>(*v);
    if (auto v = get_number(opt, "repeat_penalty", p)) s.repeat_penalty = static_cast<float>(*v);
    if (auto v = get_int(opt, "repeat_last_n", p)) s.repeat_last_n = static_cast<int32_t>(*v);
    if (auto v = get_number(opt, "presence_penalty", p)) s.presence_penalty = static_cast<float>(*v);
    if (auto v = get_number(opt, "frequency_penalty", p)) s.frequency_penalty = static_cast<float>(*v);
    if (auto v = get_int(opt, "mirostat", p)) s.mirostat = static_cast<int>(*v);
    if (auto v = get_number(opt, "mirostat_tau", p)) s.mirostat_tau = static_cast<float>(*v);
    if (auto v = get_number(opt, "mirostat_eta", p)) s.mirostat_eta = static_cast<float>(*v);
    if (auto v = get_int(opt, "seed", p)) s.seed = static_cast<uint64_t>(*v);
    if (opt.contains("stop")) o.stop = parse_stop(opt["stop"], "options.stop");
  }
  if (auto it = b.find("format"); it != b.end() && !it->is_null()) {
    if (it->is_string()) {
      if (it->get<std::string>() == "json") s.grammar = sampling::grammar::any_json_gbnf();
      else if (!it->get<std::string>().empty()) bad_field("format", "'format' must be \"json\" or a JSON Schema object");
    } else {
      s.grammar = schema_grammar(*it, "format");
    }
  }
  if (auto v = get_bool(b, "logprobs")) o.logprobs = *v;
  if (auto v = get_int(b, "top_logprobs")) {
    if (*v < 0 || *v > 20) bad_field("top_logprobs", "'top_logprobs' must be between 0 and 20 (got {})", *v);
    o.top_logprobs = static_cast<int>(*v);
  }
  if (auto v = get_bool(b, "truncate")) o.truncate = *v;
  (void)vocab_size;
  finish(o, "options");
  return o;
}

}  // namespace hearth::server
