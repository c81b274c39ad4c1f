// hearth serve over raw HTTP (cpp-httplib client): error cases in OpenAI's and Ollama's
// shapes, the API key, the body limit, context overflow, health, metrics, the model list
// contract, client disconnects and graceful shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>
#include <nlohmann/json.hpp>

#include "server_process.h"

using hearth::test::ServerProcess;
using json = nlohmann::json;

namespace {

constexpr const char* kKey = "test-key-123";

std::vector<std::string> server_args() {
  return {hearth::test::model_path("stories260K.gguf").string(), hearth::test::model_path("tiny-qwen2.Q8_0.gguf").string(),
          "--api-key", kKey, "--parallel", "2", "--ctx-size", "256", "-t", "2", "-q"};
}

ServerProcess& server() {
  static ServerProcess s(server_args());  // one server for the error cases; stopped at exit
  return s;
}

httplib::Headers auth() { return {{"Authorization", std::string("Bearer ") + kKey}}; }

struct Reply {
  int status = 0;
  json body;
  std::string raw;
};

Reply post(const std::string& path, const std::string& body, const httplib::Headers& headers = auth()) {
  auto c = server().client();
  auto r = c.Post(path.c_str(), headers, body, "application/json");
  if (!r) return {};
  Reply out{r->status, json(), r->body};
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

// A streaming POST whose receiver sees each piece of the body; false from it hangs up.
bool post_streaming(httplib::Client& c, const std::string& path, const std::string& body, const httplib::Headers& headers,
                    std::function<bool(const char*, size_t)> receive, int* status = nullptr) {
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = headers;
  req.set_header("Content-Type", "application/json");
  req.body = body;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) { return receive(data, n); };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = c.send(req, res, err);
  if (status) *status = res.status;
  return ok;
}

Reply get(const std::string& path, const httplib::Headers& headers = auth()) {
  auto c = server().client();
  auto r = c.Get(path.c_str(), headers);
  if (!r) return {};
  Reply out{r->status, json(), r->body};
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

// OpenAI's error shape, with the message and param naming `field`.
void expect_openai_error(const Reply& r, int status, const std::string& field) {
  EXPECT_EQ(r.status, status) << r.raw;
  ASSERT_TRUE(r.body.is_object() && r.body.contains("error")) << r.raw;
  const json& e = r.body["error"];
  EXPECT_TRUE(e["message"].is_string());
  EXPECT_TRUE(e.contains("type") && e.contains("param") && e.contains("code")) << r.raw;
  EXPECT_NE(e["message"].get<std::string>().find(field), std::string::npos) << r.raw;
}

const std::string kText = "stories260K";
const std::string kChat = "tiny-qwen2.Q8_0";

}  // namespace

TEST(ServerHttp, HealthNeedsNoKeyEverythingElseDoes) {
  EXPECT_EQ(get("/health", {}).status, 200);
  expect_openai_error(get("/v1/models", {}), 401, "Authorization");
  expect_openai_error(get("/v1/models", {{"Authorization", "Bearer wrong"}}), 401, "API key");
  expect_openai_error(post("/v1/completions", R"({"model":"stories260K","prompt":"hi"})", {}), 401, "Authorization");
  EXPECT_EQ(get("/v1/models").status, 200);
}

TEST(ServerHttp, MalformedJsonAndWrongTypesNameTheField) {
  expect_openai_error(post("/v1/chat/completions", "{\"model\": ", auth()), 400, "JSON");
  expect_openai_error(post("/v1/chat/completions", "[1,2]"), 400, "JSON object");
  expect_openai_error(post("/v1/completions", R"({"model":"stories260K","prompt":"hi","max_tokens":"ten"})"), 400, "max_tokens");
  expect_openai_error(post("/v1/completions", R"({"model":"stories260K","prompt":"hi","temperature":"hot"})"), 400, "temperature");
  expect_openai_error(post("/v1/completions", R"({"model":"stories260K","prompt":"hi","stop":[1]})"), 400, "stop");
  expect_openai_error(post("/v1/completions", R"({"model":"stories260K","prompt":"hi","top_logprobs":50})"), 400, "top_logprobs");
  expect_openai_error(post("/v1/completions", R"({"model":"stories260K","prompt":"hi","logit_bias":{"99999":1}})"), 400, "logit_bias");
  expect_openai_error(post("/v1/chat/completions", R"({"model":"tiny-qwen2.Q8_0","messages":"hello"})"), 400, "messages");
  expect_openai_error(post("/v1/chat/completions", R"({"model":"tiny-qwen2.Q8_0","messages":[{"content":"x"}]})"), 400, "messages[0].role");
  expect_openai_error(post("/v1/chat/completions", R"({"messages":[]})"), 400, "model");
  expect_openai_error(post("/v1/chat/completions",
                           R"({"model":"tiny-qwen2.Q8_0","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}})"),
                      400, "response_format.type");
  const Reply r = post("/v1/completions", R"({"model":"stories260K","prompt":"hi","max_tokens":"ten"})");
  EXPECT_EQ(r.body["error"]["param"], "max_tokens");
}

TEST(ServerHttp, NegativeMaxTokensIsRejected) {
  expect_openai_error(post("/v1/completions", R"({"model":"stories260K","prompt":"hi","max_tokens":-5})"), 400, "max_tokens");
  expect_openai_error(post("/v1/chat/completions",
                           R"({"model":"tiny-qwen2.Q8_0","messages":[{"role":"user","content":"x"}],"max_completion_tokens":-1})"),
                      400, "max_completion_tokens");
}

TEST(ServerHttp, UnknownModelIs404NamingIt) {
  expect_openai_error(post("/v1/completions", R"({"model":"nope-7b","prompt":"hi"})"), 404, "nope-7b");
  const Reply o = post("/api/generate", R"({"model":"nope-7b","prompt":"hi"})");
  EXPECT_EQ(o.status, 404);
  ASSERT_TRUE(o.body.contains("error")) << o.raw;
  EXPECT_NE(o.body["error"].get<std::string>().find("nope-7b"), std::string::npos);  // Ollama's shape: a string
  expect_openai_error(get("/v1/models/nope-7b"), 404, "nope-7b");
}

TEST(ServerHttp, OversizedBodyIs413) {
  std::string big = R"({"model":"stories260K","prompt":")" + std::string(9u << 20, 'a') + "\"}";
  const Reply r = post("/v1/completions", big);
  EXPECT_EQ(r.status, 413) << r.raw.substr(0, 200);
  if (r.body.is_object()) {
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find("body"), std::string::npos);
  }
}

TEST(ServerHttp, PromptBeyondTheContextIs400UnlessTruncated) {
  std::string prompt;
  for (int i = 0; i < 120; ++i) prompt += "Once upon a time ";
  const json body = {{"model", kText}, {"prompt", prompt}, {"max_tokens", 4}, {"temperature", 0}};
  const Reply r = post("/v1/completions", body.dump());
  expect_openai_error(r, 400, "tokens");
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("at most 255 fit"), std::string::npos) << r.raw;
  json t = body;
  t["truncate"] = true;
  const Reply ok = post("/v1/completions", t.dump());
  ASSERT_EQ(ok.status, 200) << ok.raw;
  EXPECT_LE(ok.body["usage"]["prompt_tokens"].get<int>(), 255);
}

TEST(ServerHttp, ContextFullIsReported) {
  const json body = {{"model", kText}, {"prompt", "Once upon a time"}, {"max_tokens", 1000}, {"temperature", 0},
                     {"logit_bias", {{"2", -100}}}};  // EOS banned: only the context stops it
  const Reply r = post("/v1/completions", body.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(r.body["hearth"]["stop_reason"], "context_full");
  // Every token but the last generated one (never evaluated) is in the context.
  EXPECT_EQ(r.body["usage"]["total_tokens"], 257);
}

TEST(ServerHttp, ModelListFollowsTheUiContract) {
  const Reply r = get("/v1/models");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["object"], "list");
  std::vector<std::string> ids;
  for (const auto& m : r.body["data"]) {
    ids.push_back(m["id"]);
    EXPECT_EQ(m["object"], "model");
    EXPECT_EQ(m["owned_by"], "hearth");
    EXPECT_TRUE(m["created"].is_number_integer());
    EXPECT_TRUE(m["hearth"]["loaded"].is_boolean());
    EXPECT_EQ(m["hearth"]["context_length"], 256);
    EXPECT_GT(m["hearth"]["size_bytes"].get<int64_t>(), 0);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{kText, kChat}));
  const Reply q = get("/v1/models/tiny-qwen2.Q8_0");
  EXPECT_EQ(q.body["hearth"]["quantization"], "Q8_0");
}

TEST(ServerHttp, ChatCompletionCarriesUsageTimingsAndLogprobs) {
  const json body = {{"model", kChat},
                     {"messages", {{{"role", "user"}, {"content", "Hi"}}}},
                     {"max_tokens", 6},
                     {"temperature", 0},
                     {"logprobs", true},
                     {"top_logprobs", 3},
                     {"top_k", 5},
                     {"min_p", 0.0},
                     {"repeat_penalty", 1.1}};
  const Reply r = post("/v1/chat/completions", body.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& c = r.body["choices"][0];
  EXPECT_EQ(c["message"]["role"], "assistant");
  EXPECT_TRUE(c["message"]["content"].is_string());
  ASSERT_EQ(c["logprobs"]["content"].size(), r.body["usage"]["completion_tokens"].get<size_t>());
  for (const auto& t : c["logprobs"]["content"]) {
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
    EXPECT_EQ(t["top_logprobs"].size(), 3u);
    EXPECT_GE(t["entropy"].get<double>(), 0.0);
    EXPECT_TRUE(t["bytes"].is_array());
  }
  const json& tm = r.body["timings"];
  for (const char* k : {"prompt_n", "prompt_ms", "prompt_per_second", "predicted_n", "predicted_ms", "predicted_per_second",
                        "ttft_ms", "n_ctx", "seed"})
    EXPECT_TRUE(tm.contains(k)) << k;
  EXPECT_EQ(r.body["usage"]["total_tokens"].get<int>(),
            r.body["usage"]["prompt_tokens"].get<int>() + r.body["usage"]["completion_tokens"].get<int>());
}

TEST(ServerHttp, SameSeedSameTextAndTheUsedSeedIsReported) {
  const json body = {{"model", kText}, {"prompt", "Once upon a time"}, {"max_tokens", 20}, {"temperature", 1.0}};
  const Reply a = post("/v1/completions", body.dump());
  ASSERT_EQ(a.status, 200) << a.raw;
  json again = body;
  again["seed"] = a.body["timings"]["seed"];
  const Reply b = post("/v1/completions", again.dump());
  EXPECT_EQ(a.body["choices"][0]["text"], b.body["choices"][0]["text"]);
}

TEST(ServerHttp, ContinueFinalMessageStreamsOnlyNewText) {
  const json body = {{"model", kChat},
                     {"messages", {{{"role", "user"}, {"content", "Hi"}}, {{"role", "assistant"}, {"content", "Hello there"}}}},
                     {"continue_final_message", true},
                     {"max_tokens", 4},
                     {"temperature", 0}};
  const Reply r = post("/v1/chat/completions", body.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  // The prompt ends inside the assistant turn: more tokens than the user turn alone.
  EXPECT_GT(r.body["usage"]["prompt_tokens"].get<int>(), 5);
  EXPECT_EQ(r.body["choices"][0]["message"]["content"].get<std::string>().find("Hello there"), std::string::npos);
}

TEST(ServerHttp, JsonResponseFormatGivesJson) {
  const json body = {{"model", kChat},
                     {"messages", {{{"role", "user"}, {"content", "Give JSON"}}}},
                     {"max_tokens", 64},
                     {"temperature", 0},
                     {"response_format",
                      {{"type", "json_schema"},
                       {"json_schema",
                        {{"name", "x"},
                         {"schema", {{"type", "object"}, {"properties", {{"n", {{"type", "integer"}}}}}, {"required", {"n"}}}}}}}}};
  const Reply r = post("/v1/chat/completions", body.dump());
  ASSERT_EQ(r.status, 200) << r.raw;
  const std::string content = r.body["choices"][0]["message"]["content"];
  if (r.body["choices"][0]["finish_reason"] == "stop") {
    const json parsed = json::parse(content, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << content;
    EXPECT_TRUE(parsed["n"].is_number_integer()) << content;
  }
}

TEST(ServerHttp, StreamingEndsWithDone) {
  auto c = server().client();
  const json body = {{"model", kText}, {"prompt", "Once upon a time"}, {"max_tokens", 8}, {"stream", true},
                     {"stream_options", {{"include_usage", true}}}, {"temperature", 0}};
  auto r = c.Post("/v1/completions", auth(), body.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/event-stream", 0), 0u);
  const std::string& s = r->body;
  ASSERT_GE(s.size(), 14u);
  EXPECT_EQ(s.substr(s.size() - 14), "data: [DONE]\n\n");
  EXPECT_NE(s.find("\"usage\""), std::string::npos);
  EXPECT_NE(s.find("\"timings\""), std::string::npos);
}

TEST(ServerHttp, OllamaShapes) {
  const Reply v = get("/api/version");
  EXPECT_TRUE(v.body["version"].is_string());
  const Reply g = post("/api/generate", json{{"model", kText}, {"prompt", "Once"}, {"stream", false}, {"raw", true},
                                              {"options", {{"num_predict", 5}, {"temperature", 0}}}}.dump());
  ASSERT_EQ(g.status, 200) << g.raw;
  for (const char* k : {"total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration"})
    EXPECT_TRUE(g.body[k].is_number_integer()) << k;
  EXPECT_EQ(g.body["done"], true);
  EXPECT_EQ(g.body["eval_count"], 5);
  EXPECT_EQ(g.body["done_reason"], "length");
  const Reply bad = post("/api/generate", json{{"model", kText}, {"prompt", "x"}, {"options", {{"top_k", "many"}}}}.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body["error"].get<std::string>().find("options.top_k"), std::string::npos) << bad.raw;
  const Reply ka = post("/api/generate", json{{"model", kText}, {"keep_alive", "soon"}}.dump());
  EXPECT_EQ(ka.status, 400);
  EXPECT_NE(ka.body["error"].get<std::string>().find("keep_alive"), std::string::npos) << ka.raw;
}

TEST(ServerHttp, MetricsCountRequests) {
  post("/v1/completions", R"({"model":"stories260K","prompt":"Once","max_tokens":2})");
  // An unauthenticated request of its own, so the 401 counter exists when this test runs alone.
  auto denied = server().client().Get("/v1/models");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  const std::vector<std::string> keys = {
      "hearth_requests_total{endpoint=\"/v1/completions\",status=\"200\"}", "hearth_prompt_tokens_total",
      "hearth_generated_tokens_total", "hearth_tokens_per_second", "hearth_queue_depth{model=\"stories260K\"}",
      "hearth_kv_cells_used{model=\"stories260K\"}", "hearth_model_load_seconds{model=\"stories260K\"}",
      "status=\"401\""};
  // A request is counted by the server's logger, which runs after the response has been sent:
  // the client can ask for /metrics before the previous request is recorded, so poll briefly.
  std::string body;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto r = server().client().Get("/metrics", auth());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    body = r->body;
    if (std::all_of(keys.begin(), keys.end(), [&](const std::string& k) { return body.find(k) != std::string::npos; }))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const auto& k : keys) EXPECT_NE(body.find(k), std::string::npos) << k;
}

TEST(ServerHttp, ClientDisconnectCancelsTheSequence) {
  {
    httplib::Client c("127.0.0.1", server().port());
    const json body = {{"model", kText}, {"prompt", "Once upon a time"}, {"max_tokens", 200}, {"stream", true},
                       {"logit_bias", {{"2", -100}}}};
    size_t received = 0;
    const bool ok = post_streaming(c, "/v1/completions", body.dump(), auth(), [&](const char*, size_t n) {
      received += n;
      return received < 300;  // hang up after a few chunks
    });
    EXPECT_FALSE(ok);  // cancelled by us
  }
  // The slot is freed: nothing stays active.
  bool idle = false;
  for (int i = 0; i < 50 && !idle; ++i) {
    auto m = server().client().Get("/metrics", auth());
    idle = m && m->body.find("hearth_active_sequences{model=\"stories260K\"} 0") != std::string::npos;
    if (!idle) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(idle);
}

TEST(ServerHttp, SigtermLetsInFlightRequestsFinish) {
  ServerProcess s({hearth::test::model_path("stories260K.gguf").string(), "--ctx-size", "256", "-t", "2", "-q"});
  std::string body_text;
  std::atomic<bool> started{false};
  bool ok = false;
  std::thread t([&] {
    auto c = s.client();
    const json body = {{"model", kText}, {"prompt", "Once upon a time"}, {"max_tokens", 150}, {"stream", true},
                       {"temperature", 0}, {"logit_bias", {{"2", -100}}}};
    int status = 0;
    ok = post_streaming(c, "/v1/completions", body.dump(), {}, [&](const char* data, size_t n) {
      body_text.append(data, n);
      started.store(true);
      return true;
    }, &status) && status == 200;
  });
  for (int i = 0; i < 300 && !started.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(started.load());
  EXPECT_EQ(s.stop(), 0) << s.log();  // SIGTERM while the stream is running
  t.join();
  EXPECT_TRUE(ok);
  EXPECT_NE(body_text.find("data: [DONE]"), std::string::npos);  // it ran to its end
  EXPECT_NE(body_text.find("\"finish_reason\":\"length\""), std::string::npos);
}

TEST(ServerHttp, ToolsRenderThroughTheTemplate) {
  const json messages = {{{"role", "user"}, {"content", "Weather in Paris?"}}};
  const json tools = {{{"type", "function"},
                       {"function",
                        {{"name", "get_weather"},
                         {"description", "Current weather"},
                         {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}}};
  const Reply plain = post("/v1/chat/completions", json{{"model", kChat}, {"messages", messages}, {"max_tokens", 1}}.dump());
  const Reply with = post("/v1/chat/completions", json{{"model", kChat}, {"messages", messages}, {"tools", tools}, {"max_tokens", 1}}.dump());
  ASSERT_EQ(plain.status, 200) << plain.raw;
  ASSERT_EQ(with.status, 200) << with.raw;
  // The tool definitions are part of the prompt.
  EXPECT_GT(with.body["usage"]["prompt_tokens"].get<int>(), plain.body["usage"]["prompt_tokens"].get<int>() + 20);
  // A tool result message renders too (Ollama shape, arguments as an object).
  const json history = {{{"role", "user"}, {"content", "Weather in Paris?"}},
                        {{"role", "assistant"}, {"content", ""},
                         {"tool_calls", {{{"function", {{"name", "get_weather"}, {"arguments", {{"city", "Paris"}}}}}}}}},
                        {{"role", "tool"}, {"content", "18 C, sunny"}}};
  json req = {{"model", kChat}, {"messages", history}, {"tools", tools}, {"stream", false}, {"options", {{"num_predict", 2}}}};
  // With the tool call and result it no longer fits the test server's 256-token context: a 400 that says so ...
  const Reply too_long = post("/api/chat", req.dump());
  EXPECT_EQ(too_long.status, 400) << too_long.raw;
  EXPECT_NE(too_long.raw.find("at most 255 fit"), std::string::npos) << too_long.raw;
  // ... unless truncation is asked for.
  req["truncate"] = true;
  const Reply o = post("/api/chat", req.dump());
  ASSERT_EQ(o.status, 200) << o.raw;
  EXPECT_EQ(o.body["message"]["role"], "assistant");
  EXPECT_LE(o.body["prompt_eval_count"].get<int>(), 255);
}
