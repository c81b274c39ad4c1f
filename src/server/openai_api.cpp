// OpenAI-compatible routes: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models.
#include <httplib.h>

#include <random>

#include "chat/tool_calls.h"
#include "core/version.h"
#include "server/chat_prompt.h"
#include "server/embedding.h"
#include "server/generation.h"
#include "server/http_error.h"
#include "server/model_info.h"
#include "server/server.h"

namespace hearth::server {
namespace {

using std::chrono::milliseconds;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string random_id(const char* prefix) {
  std::random_device rd;
  return fmt::format("{}-{:08x}{:08x}", prefix, rd(), rd());
}

std::string required_model(const json& body) {
  auto name = get_string(body, "model");
  if (!name || name->empty()) bad_field("model", "'model' is required");
  return *name;
}

json timings_json(const engine::JobResult& r) {
  auto per_second = [](int64_t n, double ms) { return ms > 0 ? static_cast<double>(n) * 1000.0 / ms : 0.0; };
  const int64_t evaluated = r.n_prompt - r.n_cached;
  return {{"prompt_n", evaluated},         {"prompt_cached", r.n_cached},
          {"prompt_ms", r.prompt_ms},      {"prompt_per_second", per_second(evaluated, r.prompt_ms)},
          {"predicted_n", r.n_generated},  {"predicted_ms", r.predicted_ms},
          {"predicted_per_second", per_second(r.n_generated, r.predicted_ms)},
          {"ttft_ms", r.ttft_ms},          {"queue_ms", r.queue_ms},
          {"n_ctx", r.n_ctx},              {"seed", r.seed}};
}

json usage_json(const engine::JobResult& r) {
  return {{"prompt_tokens", r.n_prompt}, {"completion_tokens", r.n_generated}, {"total_tokens", r.n_prompt + r.n_generated},
          {"prompt_tokens_details", {{"cached_tokens", r.n_cached}}}};
}

json hearth_json(const engine::JobResult& r) {
  json h = {{"stop_reason", std::string(engine::stop_reason_name(r.stop))}};
  if (r.stop == engine::StopReason::ContextFull) h["stop_reason"] = "context_full";
  if (!r.stop_string.empty()) h["stop_string"] = r.stop_string;
  return h;
}

void check_result(const engine::JobResult& r) {
  if (!r.error.empty()) throw HttpError(500, r.error, "", "generation_failed");
}

// A finished generation also counts towards /metrics and gets a log line.
void record(ServerState& st, const std::string& model, const engine::JobResult& r) {
  st.metrics.count_generation(r.n_prompt - r.n_cached, r.n_generated, r.predicted_ms / 1000.0);
  st.log(fmt::format("  {}: prompt {} tokens ({} cached) {:.1f} ms, generated {} tokens {:.1f} ms, ttft {:.1f} ms, stop {}",
                     model, r.n_prompt, r.n_cached, r.prompt_ms, r.n_generated, r.predicted_ms, r.ttft_ms,
                     engine::stop_reason_name(r.stop)));
}

std::chrono::milliseconds keep_alive_of(const json& body, ServerState& st) {
  if (auto it = body.find("keep_alive"); it != body.end() && !it->is_null()) return parse_keep_alive(*it, "keep_alive");
  return st.options.registry.default_keep_alive;
}

// The common part of both completion endpoints: stream as SSE or answer once.
struct CompletionPlan {
  std::shared_ptr<ModelLease> lease;
  std::shared_ptr<Generation> gen;
  GenOptions opts;
  bool chat = false;
  bool stream = false;
  bool include_usage = false;
  bool parse_tools = false;  // buffer the reply and parse tool calls out of it
  chat::ToolCallStyle tool_style = chat::ToolCallStyle::None;
  std::string id, model;
  int64_t created = 0;
};

json tool_calls_json(const std::vector<chat::ToolCall>& calls, bool with_index) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    json c = {{"id", fmt::format("call_{}", i)}, {"type", "function"},
              {"function", {{"name", calls[i].name}, {"arguments", calls[i].arguments_json()}}}};
    if (with_index) c["index"] = i;
    out.push_back(std::move(c));
  }
  return out;
}

void respond_once(ServerState& st, CompletionPlan& p, httplib::Response& res) {
  auto deltas = p.gen->collect();
  const auto& r = p.gen->result();
  check_result(r);
  record(st, p.model, r);
  std::string text;
  json logprobs = json::array();
  const auto& tok = (*p.lease)->tokenizer();
  json legacy_tokens = json::array(), legacy_lp = json::array(), legacy_top = json::array(), offsets = json::array();
  size_t offset = 0;
  for (const auto& d : deltas) {
    text += d.text;
    for (const auto& t : d.tokens) {
      if (!p.opts.logprobs) continue;
      json e = token_logprob(tok, t);
      if (!p.chat) {
        legacy_tokens.push_back(e["token"]);
        legacy_lp.push_back(e["logprob"]);
        json top = json::object();
        for (const auto& a : e["top_logprobs"]) top[a["token"].get<std::string>()] = a["logprob"];
        legacy_top.push_back(top);
        offsets.push_back(offset);
        offset += e["token"].get<std::string>().size();
      }
      logprobs.push_back(std::move(e));
    }
  }
  json choice = {{"index", 0}};
  std::string finish = finish_reason(r.stop);
  if (p.chat) {
    json message = {{"role", "assistant"}, {"content", text}};
    if (p.parse_tools) {
      auto parsed = chat::parse_tool_calls(text, p.tool_style);
      if (!parsed.tool_calls.empty()) {
        message["content"] = parsed.content.empty() ? json(nullptr) : json(parsed.content);
        message["tool_calls"] = tool_calls_json(parsed.tool_calls, false);
        finish = "tool_calls";
      }
    }
    choice["message"] = std::move(message);
    choice["logprobs"] = p.opts.logprobs ? json{{"content", logprobs}} : json(nullptr);
  } else {
    choice["text"] = text;
    choice["logprobs"] = p.opts.logprobs ? json{{"tokens", legacy_tokens}, {"token_logprobs", legacy_lp},
                                                {"top_logprobs", legacy_top}, {"text_offset", offsets}, {"content", logprobs}}
                                         : json(nullptr);
  }
  choice["finish_reason"] = finish;
  json out = {{"id", p.id},
              {"object", p.chat ? "chat.completion" : "text_completion"},
              {"created", p.created},
              {"model", p.model},
              {"system_fingerprint", fmt::format("hearth-{}", kVersion)},
              {"choices", json::array({choice})},
              {"usage", usage_json(r)},
              {"timings", timings_json(r)},
              {"hearth", hearth_json(r)}};
  res.set_content(dump(out), "application/json");
}

void respond_stream(ServerState& st, const CompletionPlan& plan, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider("text/event-stream", [&st, p = plan](size_t, httplib::DataSink& sink) {
    const auto& tok = (*p.lease)->tokenizer();
    auto send = [&](const json& j) {
      const std::string s = "data: " + dump(j) + "\n\n";
      return sink.write(s.data(), s.size());
    };
    auto chunk = [&](json delta, json logprobs, json finish) {
      json choice = {{"index", 0}, {"logprobs", std::move(logprobs)}, {"finish_reason", std::move(finish)}};
      if (p.chat) choice["delta"] = std::move(delta);
      else choice["text"] = delta.value("content", "");
      return json{{"id", p.id},
                  {"object", p.chat ? "chat.completion.chunk" : "text_completion"},
                  {"created", p.created},
                  {"model", p.model},
                  {"system_fingerprint", fmt::format("hearth-{}", kVersion)},
                  {"choices", json::array({std::move(choice)})}};
    };
    auto abort = [&] {
      p.gen->cancel();
      return false;
    };
    if (p.chat && !send(chunk({{"role", "assistant"}, {"content", ""}}, nullptr, nullptr))) return abort();
    std::string buffered;
    json buffered_logprobs = json::array();
    engine::Delta d;
    for (;;) {
      const auto n = p.gen->next(d, milliseconds(200));
      if (n == Generation::Next::Timeout) {
        if (!sink.is_writable()) return abort();
        continue;
      }
      if (n == Generation::Next::Done) break;
      json lp = json::array();
      if (p.opts.logprobs)
        for (const auto& t : d.tokens) lp.push_back(token_logprob(tok, t));
      if (p.parse_tools) {  // tool calls are only known once the reply is complete
        buffered += d.text;
        for (auto& e : lp) buffered_logprobs.push_back(std::move(e));
        continue;
      }
      if (d.text.empty() && lp.empty()) continue;
      if (!send(chunk({{"content", d.text}}, p.opts.logprobs ? json{{"content", lp}} : json(nullptr), nullptr))) return abort();
    }
    const auto& r = p.gen->result();
    if (!r.error.empty()) {
      send({{"error", {{"message", r.error}, {"type", "server_error"}, {"param", nullptr}, {"code", "generation_failed"}}}});
      const std::string done = "data: [DONE]\n\n";
      sink.write(done.data(), done.size());
      sink.done();
      return true;
    }
    record(st, p.model, r);
    std::string finish = finish_reason(r.stop);
    if (p.parse_tools) {
      auto parsed = chat::parse_tool_calls(buffered, p.tool_style);
      json delta = json::object();
      if (!parsed.content.empty() || parsed.tool_calls.empty()) delta["content"] = parsed.tool_calls.empty() ? buffered : parsed.content;
      if (!parsed.tool_calls.empty()) {
        delta["tool_calls"] = tool_calls_json(parsed.tool_calls, true);
        finish = "tool_calls";
      }
      if (!send(chunk(delta, p.opts.logprobs ? json{{"content", buffered_logprobs}} : json(nullptr), nullptr))) return abort();
    }
    json last = chunk(json::object(), nullptr, finish);
    last["hearth"] = hearth_json(r);
    if (!p.include_usage) last["timings"] = timings_json(r);
    if (!send(last)) return false;
    if (p.include_usage) {
      json u = chunk(json::object(), nullptr, nullptr);
      u["choices"] = json::array();
      u["usage"] = usage_json(r);
      u["timings"] = timings_json(r);
      if (!send(u)) return false;
    }
    const std::string done = "data: [DONE]\n\n";
    sink.write(done.data(), done.size());
    sink.done();
    return true;
  });
}

void run_completion(ServerState& st, const json& body, bool chat, httplib::Response& res) {
  CompletionPlan p;
  p.chat = chat;
  p.model = required_model(body);
  p.stream = get_bool(body, "stream").value_or(false);
  if (auto so = body.find("stream_options"); so != body.end() && !so->is_null()) {
    if (!so->is_object()) bad_field("stream_options", "'stream_options' must be an object");
    p.include_usage = get_bool(*so, "include_usage", "stream_options").value_or(false);
  }
  ChatRequest chat_req;
  std::string prompt_text;
  std::vector<int32_t> prompt_ids;
  if (chat) {
    auto it = body.find("messages");
    if (it == body.end()) bad_field("messages", "'messages' is required");
    chat_req.messages = validate_messages(*it);
    if (auto t = body.find("tools"); t != body.end() && !t->is_null()) {
      if (!t->is_array()) bad_field("tools", "'tools' must be an array");
      if (!t->empty()) chat_req.tools = *t;
    }
    chat_req.continue_final_message = get_bool(body, "continue_final_message").value_or(false);
    chat_req.add_generation_prompt = get_bool(body, "add_generation_prompt").value_or(!chat_req.continue_final_message);
    if (auto k = body.find("chat_template_kwargs"); k != body.end() && !k->is_null()) {
      if (!k->is_object()) bad_field("chat_template_kwargs", "'chat_template_kwargs' must be an object");
      chat_req.extra_context = *k;
    }
  } else {
    auto it = body.find("prompt");
    if (it == body.end() || it->is_null()) bad_field("prompt", "'prompt' is required");
    if (it->is_string()) {
      prompt_text = it->get<std::string>();
    } else if (it->is_array() && it->size() == 1 && (*it)[0].is_string()) {
      prompt_text = (*it)[0].get<std::string>();
    } else if (it->is_array() && !it->empty() && std::all_of(it->begin(), it->end(), [](const json& v) { return v.is_number_integer(); })) {
      for (const auto& v : *it) prompt_ids.push_back(v.get<int32_t>());
    } else {
      bad_field("prompt", "'prompt' must be a string, an array of one string, or an array of token ids");
    }
    if (get_bool(body, "echo").value_or(false)) bad_field("echo", "'echo' is not supported");
  }
  const auto keep_alive = keep_alive_of(body, st);
  p.lease = std::make_shared<ModelLease>(st.registry.acquire(p.model), keep_alive);
  LoadedModel& m = **p.lease;
  p.opts = openai_options(body, m.tokenizer().n_vocab());
  std::vector<int32_t> tokens;
  if (chat) {
    prompt_text = render_chat(m, chat_req);
    if (!chat_req.tools.is_null() && m.chat_template()->tool_call_style() != chat::ToolCallStyle::None) {
      p.parse_tools = true;
      p.tool_style = m.chat_template()->tool_call_style();
    }
    tokens = tokenize_prompt(m, prompt_text, true, p.opts.truncate, p.opts.max_tokens);
  } else if (!prompt_ids.empty()) {
    for (int32_t t : prompt_ids)
      if (t < 0 || t >= m.tokenizer().n_vocab()) bad_field("prompt", "token id {} is out of range (0..{})", t, m.tokenizer().n_vocab() - 1);
    if (static_cast<int64_t>(prompt_ids.size()) >= m.scheduler().n_ctx())
      throw HttpError(400, fmt::format("the prompt has {} tokens but at most {} fit in the context", prompt_ids.size(), m.scheduler().n_ctx() - 1),
                      "prompt", "context_length_exceeded");
    tokens = prompt_ids;
  } else {
    tokens = tokenize_prompt(m, prompt_text, false, p.opts.truncate, p.opts.max_tokens);
  }
  p.gen = std::make_shared<Generation>(m, std::move(tokens), p.opts);
  p.id = random_id(chat ? "chatcmpl" : "cmpl");
  p.created = unix_now();
  if (p.stream) respond_stream(st, p, res);
  else respond_once(st, p, res);
}

json model_object(ServerState& st, const ModelEntry& e) {
  const auto loaded = st.registry.find_loaded(e.name);
  json h = {{"loaded", loaded != nullptr}};
  try {
    const ModelInfo info = describe_model_file(e.path);
    int64_t n_ctx = st.options.registry.context.n_ctx > 0 ? st.options.registry.context.n_ctx : std::min<int64_t>(info.n_ctx_train, 4096);
    if (loaded) n_ctx = loaded->scheduler().n_ctx();
    h["context_length"] = n_ctx;
    h["size_bytes"] = info.size_bytes;
    h["quantization"] = info.quantization;
    h["architecture"] = info.arch;
    h["parameters"] = info.parameters;
    return {{"id", e.name}, {"object", "model"}, {"created", info.modified_unix}, {"owned_by", "hearth"}, {"hearth", h}};
  } catch (const std::exception& ex) {
    h["error"] = ex.what();
    return {{"id", e.name}, {"object", "model"}, {"created", 0}, {"owned_by", "hearth"}, {"hearth", h}};
  }
}

}  // namespace

void add_openai_routes(httplib::Server& http, ServerState& st) {
  http.Post("/v1/chat/completions", [&st](const httplib::Request& req, httplib::Response& res) {
    run_completion(st, parse_body(req.body), true, res);
  });
  http.Post("/v1/completions", [&st](const httplib::Request& req, httplib::Response& res) {
    run_completion(st, parse_body(req.body), false, res);
  });
  http.Get("/v1/models", [&st](const httplib::Request&, httplib::Response& res) {
    json data = json::array();
    for (const auto& e : st.registry.list()) data.push_back(model_object(st, e));
    res.set_content(dump(json{{"object", "list"}, {"data", data}}), "application/json");
  });
  http.Get(R"(/v1/models/(.+))", [&st](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];
    auto e = st.registry.resolve(name);
    if (!e) throw HttpError(404, fmt::format("model '{}' not found", name), "model", "model_not_found");
    res.set_content(dump(model_object(st, *e)), "application/json");
  });
  http.Post("/v1/embeddings", [&st](const httplib::Request& req, httplib::Response& res) {
    const json body = parse_body(req.body);
    const std::string model = required_model(body);
    auto it = body.find("input");
    if (it == body.end() || it->is_null()) bad_field("input", "'input' is required");
    const std::string format = get_string(body, "encoding_format").value_or("float");
    if (format != "float" && format != "base64") bad_field("encoding_format", "'encoding_format' must be float or base64 (got '{}')", format);
    const bool truncate = get_bool(body, "truncate").value_or(false);
    ModelLease lease(st.registry.acquire(model), keep_alive_of(body, st));
    const auto result = embed_inputs(*lease, *it, "input", truncate);
    json data = json::array();
    for (size_t i = 0; i < result.vectors.size(); ++i) {
      json e = {{"object", "embedding"}, {"index", i}};
      if (format == "base64") e["embedding"] = base64_floats(result.vectors[i]);
      else e["embedding"] = result.vectors[i];
      data.push_back(std::move(e));
    }
    res.set_content(dump(json{{"object", "list"},
                              {"data", data},
                              {"model", model},
                              {"usage", {{"prompt_tokens", result.n_tokens}, {"total_tokens", result.n_tokens}}}}),
                    "application/json");
  });
}

}  // namespace hearth::server
