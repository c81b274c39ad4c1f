// Ollama-compatible routes: /api/generate, /api/chat (NDJSON streaming), /api/tags, /api/show,
// /api/ps, /api/embed, /api/embeddings, /api/version.
#include <httplib.h>

#include <ctime>

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
using SteadyClock = std::chrono::steady_clock;

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count() % 1000000000;
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09d}Z", buf, ns);
}

std::string now_rfc3339() { return rfc3339(std::chrono::system_clock::now()); }

int64_t ns(double ms) { return static_cast<int64_t>(ms * 1e6); }
int64_t ns_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - t).count();
}

std::string required_model(const json& body) {
  auto name = get_string(body, "model");
  if (!name || name->empty()) bad_field("model", "'model' is required");
  return *name;
}

std::chrono::milliseconds keep_alive_of(const json& body, ServerState& st) {
  if (auto it = body.find("keep_alive"); it != body.end() && !it->is_null()) return parse_keep_alive(*it, "keep_alive");
  return st.options.registry.default_keep_alive;
}

json details_json(const ModelInfo& info) {
  return {{"parent_model", ""},
          {"format", "gguf"},
          {"family", info.arch},
          {"families", json::array({info.arch})},
          {"parameter_size", parameter_size(info.parameters)},
          {"quantization_level", info.quantization}};
}

// Preload ({"model": x} alone) or unload (with keep_alive 0): no generation.
void load_only(ServerState& st, const std::string& name, std::chrono::milliseconds keep_alive, bool chat, httplib::Response& res) {
  json out = {{"model", name}, {"created_at", now_rfc3339()}};
  if (chat) out["message"] = {{"role", "assistant"}, {"content", ""}};
  else out["response"] = "";
  out["done"] = true;
  if (keep_alive.count() == 0) {
    if (!st.registry.resolve(name)) throw HttpError(404, fmt::format("model '{}' not found", name), "model");
    st.registry.unload(name);
    out["done_reason"] = "unload";
  } else {
    ModelLease lease(st.registry.acquire(name), keep_alive);
    out["done_reason"] = "load";
  }
  res.set_content(dump(out), "application/json");
}

struct OllamaPlan {
  std::shared_ptr<ModelLease> lease;
  std::shared_ptr<Generation> gen;
  GenOptions opts;
  bool chat = false;
  bool parse_tools = false;
  chat::ToolCallStyle tool_style = chat::ToolCallStyle::None;
  std::string model;
  SteadyClock::time_point start;
  int64_t load_ns = 0;
};

json tool_calls_json(const std::vector<chat::ToolCall>& calls) {
  json out = json::array();
  for (size_t i = 0; i < calls.size(); ++i)
    out.push_back({{"function", {{"index", i}, {"name", calls[i].name}, {"arguments", calls[i].arguments}}}});
  return out;
}

json final_json(const OllamaPlan& p, const engine::JobResult& r) {
  std::string reason = finish_reason(r.stop);
  json out = {{"done", true},
              {"done_reason", reason},
              {"total_duration", ns_since(p.start)},
              {"load_duration", p.load_ns},
              {"prompt_eval_count", r.n_prompt},
              {"prompt_eval_duration", ns(r.prompt_ms)},
              {"eval_count", r.n_generated},
              {"eval_duration", ns(r.predicted_ms)},
              {"hearth", {{"stop_reason", r.stop == engine::StopReason::ContextFull ? "context_full" : std::string(engine::stop_reason_name(r.stop))},
                          {"prompt_cached", r.n_cached},
                          {"ttft_ms", r.ttft_ms},
                          {"seed", r.seed},
                          {"n_ctx", r.n_ctx}}}};
  return out;
}

json message_or_response(const OllamaPlan& p, const std::string& text) {
  json out = {{"model", p.model}, {"created_at", now_rfc3339()}};
  if (p.chat) out["message"] = {{"role", "assistant"}, {"content", text}};
  else out["response"] = text;
  return out;
}

void record(ServerState& st, const std::string& model, const engine::JobResult& r) {
  st.metrics.count_generation(r.n_prompt - r.n_cached, r.n_generated, r.predicted_ms / 1000.0);
  st.log(fmt::format("  {}: prompt {} tokens ({} cached) {:.1f} ms, generated {} tokens {:.1f} ms, ttft {:.1f} ms, stop {}",
                     model, r.n_prompt, r.n_cached, r.prompt_ms, r.n_generated, r.predicted_ms, r.ttft_ms,
                     engine::stop_reason_name(r.stop)));
}

void respond(ServerState& st, const OllamaPlan& plan, bool stream, httplib::Response& res) {
  if (!stream) {
    auto deltas = plan.gen->collect();
    const auto& r = plan.gen->result();
    if (!r.error.empty()) throw HttpError(500, r.error);
    record(st, plan.model, r);
    std::string text;
    json lps = json::array();
    for (const auto& d : deltas) {
      text += d.text;
      if (plan.opts.logprobs)
        for (const auto& t : d.tokens) lps.push_back(token_logprob((*plan.lease)->tokenizer(), t));
    }
    json out = message_or_response(plan, text);
    if (plan.parse_tools) {
      auto parsed = chat::parse_tool_calls(text, plan.tool_style);
      if (!parsed.tool_calls.empty()) {
        out["message"]["content"] = parsed.content;
        out["message"]["tool_calls"] = tool_calls_json(parsed.tool_calls);
      }
    }
    if (plan.opts.logprobs) out["logprobs"] = lps;
    out.update(final_json(plan, r));
    res.set_content(dump(out), "application/json");
    return;
  }
  res.set_chunked_content_provider("application/x-ndjson", [&st, p = plan](size_t, httplib::DataSink& sink) {
    auto send = [&](const json& j) {
      const std::string s = dump(j) + "\n";
      return sink.write(s.data(), s.size());
    };
    auto abort = [&] {
      p.gen->cancel();
      return false;
    };
    std::string buffered;
    engine::Delta d;
    for (;;) {
      const auto n = p.gen->next(d, milliseconds(200));
      if (n == Generation::Next::Timeout) {
        if (!sink.is_writable()) return abort();
        continue;
      }
      if (n == Generation::Next::Done) break;
      if (p.parse_tools) {
        buffered += d.text;
        continue;
      }
      json line = message_or_response(p, d.text);
      line["done"] = false;
      if (p.opts.logprobs) {
        json lps = json::array();
        for (const auto& t : d.tokens) lps.push_back(token_logprob((*p.lease)->tokenizer(), t));
        line["logprobs"] = lps;
      }
      if (!send(line)) return abort();
    }
    const auto& r = p.gen->result();
    if (!r.error.empty()) {
      send({{"error", r.error}});
      sink.done();
      return true;
    }
    record(st, p.model, r);
    if (p.parse_tools) {
      auto parsed = chat::parse_tool_calls(buffered, p.tool_style);
      json line = message_or_response(p, parsed.tool_calls.empty() ? buffered : parsed.content);
      if (!parsed.tool_calls.empty()) line["message"]["tool_calls"] = tool_calls_json(parsed.tool_calls);
      line["done"] = false;
      if (!send(line)) return abort();
    }
    json last = message_or_response(p, "");
    last.update(final_json(p, r));
    send(last);
    sink.done();
    return true;
  });
}

void generate_or_chat(ServerState& st, const httplib::Request& req, httplib::Response& res, bool chat) {
  OllamaPlan p;
  p.start = SteadyClock::now();
  p.chat = chat;
  const json body = parse_body(req.body);
  p.model = required_model(body);
  const auto keep_alive = keep_alive_of(body, st);
  const bool stream = get_bool(body, "stream").value_or(true);
  ChatRequest chat_req;
  std::optional<std::string> prompt, system, tmpl_text;
  bool raw = false;
  if (chat) {
    auto it = body.find("messages");
    if (it == body.end() || it->is_null() || (it->is_array() && it->empty())) return load_only(st, p.model, keep_alive, true, res);
    chat_req.messages = validate_messages(*it);
    if (auto t = body.find("tools"); t != body.end() && !t->is_null()) {
      if (!t->is_array()) bad_field("tools", "'tools' must be an array");
      if (!t->empty()) chat_req.tools = *t;
    }
  } else {
    prompt = get_string(body, "prompt");
    system = get_string(body, "system");
    raw = get_bool(body, "raw").value_or(false);
    if (!prompt || prompt->empty()) return load_only(st, p.model, keep_alive, false, res);
  }
  tmpl_text = get_string(body, "template");
  if (auto th = get_bool(body, "think")) chat_req.extra_context["enable_thinking"] = *th;

  const auto t_load = SteadyClock::now();
  p.lease = std::make_shared<ModelLease>(st.registry.acquire(p.model), keep_alive);
  p.load_ns = ns_since(t_load);
  LoadedModel& m = **p.lease;
  p.opts = ollama_options(body, m.tokenizer().n_vocab());

  std::optional<chat::ChatTemplate> custom;
  if (tmpl_text && !tmpl_text->empty()) {
    const auto& tok = m.tokenizer();
    custom.emplace(*tmpl_text, tok.bos() >= 0 ? tok.token_text(tok.bos()) : "", tok.eos() >= 0 ? tok.token_text(tok.eos()) : "",
                   "request template");
  }
  const chat::ChatTemplate* tmpl = custom ? &*custom : m.chat_template();
  std::string text;
  bool special = true;
  if (!chat) {
    if (raw || !tmpl) {  // no template: the prompt is the text (Ollama's "{{ .Prompt }}")
      text = system && !raw ? *system + "\n\n" + *prompt : *prompt;
      special = raw;
    } else {
      chat_req.messages = json::array();
      if (system) chat_req.messages.push_back({{"role", "system"}, {"content", *system}});
      chat_req.messages.push_back({{"role", "user"}, {"content", *prompt}});
      text = render_chat_with(*tmpl, chat_req);
    }
  } else {
    text = tmpl ? render_chat_with(*tmpl, chat_req) : render_chat(m, chat_req);
    if (!chat_req.tools.is_null() && tmpl->tool_call_style() != chat::ToolCallStyle::None) {
      p.parse_tools = true;
      p.tool_style = tmpl->tool_call_style();
    }
  }
  auto tokens = tokenize_prompt(m, text, special, p.opts.truncate, p.opts.max_tokens);
  p.gen = std::make_shared<Generation>(m, std::move(tokens), p.opts);
  respond(st, p, stream, res);
}

}  // namespace

void add_ollama_routes(httplib::Server& http, ServerState& st) {
  http.Post("/api/generate", [&st](const httplib::Request& req, httplib::Response& res) { generate_or_chat(st, req, res, false); });
  http.Post("/api/chat", [&st](const httplib::Request& req, httplib::Response& res) { generate_or_chat(st, req, res, true); });

  http.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(dump(json{{"version", kVersion}}), "application/json");
  });

  http.Get("/api/tags", [&st](const httplib::Request&, httplib::Response& res) {
    json models = json::array();
    for (const auto& e : st.registry.list()) {
      try {
        const ModelInfo info = describe_model_file(e.path);
        models.push_back({{"name", e.name},
                          {"model", e.name},
                          {"modified_at", rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(info.modified_unix)))},
                          {"size", info.size_bytes},
                          {"digest", info.digest},
                          {"details", details_json(info)}});
      } catch (const std::exception&) {
        // an unreadable file in --models-dir is left out of the listing; using it reports why
      }
    }
    res.set_content(dump(json{{"models", models}}), "application/json");
  });

  http.Post("/api/show", [&st](const httplib::Request& req, httplib::Response& res) {
    const json body = parse_body(req.body);
    auto name = get_string(body, "model");
    if (!name) name = get_string(body, "name");
    if (!name || name->empty()) bad_field("model", "'model' is required");
    auto e = st.registry.resolve(*name);
    if (!e) throw HttpError(404, fmt::format("model '{}' not found", *name), "model");
    const ModelInfo info = describe_model_file(e->path);
    const auto file = gguf::File::open(e->path);
    std::string tmpl;
    if (auto t = file.get_optional<std::string>("tokenizer.chat_template")) tmpl = *t;
    json model_info = {{"general.architecture", info.arch}, {"general.parameter_count", info.parameters}};
    if (!info.arch.empty()) model_info[info.arch + ".context_length"] = info.n_ctx_train;
    json caps = json::array({"completion"});
    if (!tmpl.empty() && tmpl.find("tools") != std::string::npos) caps.push_back("tools");
    caps.push_back("embedding");
    res.set_content(dump(json{{"modelfile", fmt::format("FROM {}\n", e->path.string())},
                              {"parameters", ""},
                              {"template", tmpl},
                              {"details", details_json(info)},
                              {"model_info", model_info},
                              {"capabilities", caps},
                              {"modified_at", rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(info.modified_unix)))}}),
                    "application/json");
  });

  http.Get("/api/ps", [&st](const httplib::Request&, httplib::Response& res) {
    json models = json::array();
    const auto now_steady = SteadyClock::now();
    const auto now_sys = std::chrono::system_clock::now();
    for (const auto& m : st.registry.loaded()) {
      ModelInfo info;
      try {
        info = describe_model_file(m->path());
      } catch (const std::exception&) {
      }
      const auto exp = m->expires_at();
      const auto expires = exp ? now_sys + std::chrono::duration_cast<std::chrono::system_clock::duration>(*exp - now_steady)
                               : now_sys + std::chrono::hours(24 * 365);
      models.push_back({{"name", m->name()},
                        {"model", m->name()},
                        {"size", m->memory_bytes()},
                        {"digest", info.digest},
                        {"details", details_json(info)},
                        {"expires_at", rfc3339(expires)},
                        {"size_vram", 0},
                        {"context_length", m->scheduler().n_ctx()}});
    }
    res.set_content(dump(json{{"models", models}}), "application/json");
  });

  http.Post("/api/embed", [&st](const httplib::Request& req, httplib::Response& res) {
    const auto start = SteadyClock::now();
    const json body = parse_body(req.body);
    const std::string model = required_model(body);
    auto it = body.find("input");
    if (it == body.end() || it->is_null()) bad_field("input", "'input' is required");
    const bool truncate = get_bool(body, "truncate").value_or(true);  // Ollama truncates by default
    const auto t_load = SteadyClock::now();
    ModelLease lease(st.registry.acquire(model), keep_alive_of(body, st));
    const int64_t load_ns = ns_since(t_load);
    const auto r = embed_inputs(*lease, *it, "input", truncate);
    res.set_content(dump(json{{"model", model},
                              {"embeddings", r.vectors},
                              {"total_duration", ns_since(start)},
                              {"load_duration", load_ns},
                              {"prompt_eval_count", r.n_tokens}}),
                    "application/json");
  });

  http.Post("/api/embeddings", [&st](const httplib::Request& req, httplib::Response& res) {  // the older endpoint
    const json body = parse_body(req.body);
    const std::string model = required_model(body);
    auto prompt = get_string(body, "prompt");
    if (!prompt) bad_field("prompt", "'prompt' is required");
    ModelLease lease(st.registry.acquire(model), keep_alive_of(body, st));
    const auto r = embed_inputs(*lease, json(*prompt), "prompt", true);
    res.set_content(dump(json{{"embedding", r.vectors.at(0)}}), "application/json");
  });
}

}  // namespace hearth::server
