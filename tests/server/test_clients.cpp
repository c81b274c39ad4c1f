// hearth serve driven by the official npm clients (openai, ollama), streaming and not, and 8
// concurrent streaming clients whose outputs must equal the same requests run alone. Needs the
// packages installed by tests/server/setup_clients.sh (make test does it); skipped otherwise.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "server_process.h"

using hearth::test::ServerProcess;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kHere = fs::path(__FILE__).parent_path();

// $HEARTH_NPM_SERVER, else build/npm-server in the source tree.
fs::path npm_modules() {
  if (const char* env = std::getenv("HEARTH_NPM_SERVER"); env && *env) return fs::path(env) / "node_modules";
  return kHere.parent_path().parent_path() / "build" / "npm-server" / "node_modules";
}

bool have_clients() {
  return fs::exists(npm_modules() / "openai") && fs::exists(npm_modules() / "ollama") && std::system("node --version >/dev/null 2>&1") == 0;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a client script and parses its one JSON line.
json run_script(const std::string& script, const ServerProcess& s, const std::vector<std::string>& extra = {}) {
  std::string cmd = "node " + quote((kHere / "clients" / script).string()) + " --modules " + quote(npm_modules().string()) +
                    " --base " + quote(s.base()) + " --text_model stories260K --chat_model tiny-qwen2.Q8_0";
  for (const auto& e : extra) cmd += " " + quote(e);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {{"script_error", "popen failed"}};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  json j = json::parse(out, nullptr, false);
  if (j.is_discarded()) return {{"script_error", "not JSON: " + out}};
  return j;
}

std::vector<std::string> args() {
  return {hearth::test::model_path("stories260K.gguf").string(), hearth::test::model_path("tiny-qwen2.Q8_0.gguf").string(),
          "--parallel", "8", "--ctx-size", "512", "-t", "2", "-q"};
}

#define SKIP_WITHOUT_CLIENTS()                                                                                 \
  if (!have_clients())                                                                                         \
  GTEST_SKIP() << "npm clients not installed at " << npm_modules()                                             \
               << " (run: bash tests/server/setup_clients.sh build, or set HEARTH_NPM_SERVER)"

}  // namespace

TEST(ServerClients, OpenAiPackage) {
  SKIP_WITHOUT_CLIENTS();
  ServerProcess s(args());
  const json r = run_script("openai_client.mjs", s);
  ASSERT_FALSE(r.contains("script_error")) << r.dump(2) << s.log();
  ASSERT_EQ(r["models"].size(), 2u);
  EXPECT_EQ(r["models"][0]["id"], "stories260K");
  // Non-streaming and streaming chat at temperature 0 give the same text.
  EXPECT_EQ(r["chat"]["content"], r["chat_stream"]["content"]);
  EXPECT_EQ(r["chat"]["usage"]["prompt_tokens"], r["chat_stream"]["usage"]["prompt_tokens"]);
  EXPECT_EQ(r["chat"]["usage"]["completion_tokens"], r["chat_stream"]["usage"]["completion_tokens"]);
  // The second, identical prompt came from the prefix cache (all but its last token).
  EXPECT_EQ(r["chat_stream"]["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(),
            r["chat_stream"]["usage"]["prompt_tokens"].get<int>() - 1);
  EXPECT_GT(r["chat"]["usage"]["completion_tokens"].get<int>(), 0);
  EXPECT_EQ(r["chat_stream"]["logprob_tokens"], r["chat_stream"]["usage"]["completion_tokens"]);
  EXPECT_TRUE(r["chat_stream"]["top_ok"].get<bool>());
  EXPECT_TRUE(r["chat_stream"]["timings"].contains("ttft_ms"));
  EXPECT_EQ(r["chat"]["logprobs"].size(), r["chat"]["usage"]["completion_tokens"].get<size_t>());
  // stories260K at temperature 0 (the reference continuation begins like this).
  const std::string expected = hearth::test::read_file(hearth::test::shared_dir() / "reference" / "stories260K.greedy.txt");
  const std::string text = r["completion"]["text"];
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(expected.substr(0, text.size()), text);
  EXPECT_EQ(r["completion"]["text"], r["completion_stream"]["text"]);
  EXPECT_EQ(r["completion"]["finish_reason"], "length");
  EXPECT_EQ(r["completion"]["usage"]["completion_tokens"], 16);
  ASSERT_EQ(r["embeddings"].size(), 2u);
  for (const auto& e : r["embeddings"]) {
    EXPECT_EQ(e["length"], 64);  // stories260K's n_embd
    EXPECT_NEAR(e["norm"].get<double>(), 1.0, 1e-3);
  }
  EXPECT_EQ(r["unknown_model"]["status"], 404);
  EXPECT_NE(r["unknown_model"]["message"].get<std::string>().find("no-such-model"), std::string::npos);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServerClients, OllamaPackage) {
  SKIP_WITHOUT_CLIENTS();
  ServerProcess s(args());
  const json r = run_script("ollama_client.mjs", s);
  ASSERT_FALSE(r.contains("script_error")) << r.dump(2) << s.log();
  EXPECT_TRUE(r["version"]["version"].is_string());
  ASSERT_EQ(r["tags"].size(), 2u);
  EXPECT_EQ(r["tags"][1]["details"]["quantization_level"], "Q8_0");
  EXPECT_EQ(r["preload"]["done_reason"], "load");
  EXPECT_EQ(r["ps_after_preload"], json::array({"stories260K"}));
  const std::string expected = hearth::test::read_file(hearth::test::shared_dir() / "reference" / "stories260K.greedy.txt");
  const std::string text = r["generate"]["response"];
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(expected.substr(0, text.size()), text);
  EXPECT_EQ(r["generate"]["eval_count"], 16);
  EXPECT_EQ(r["generate"]["done_reason"], "length");
  EXPECT_GT(r["generate"]["total_duration"].get<int64_t>(), r["generate"]["eval_duration"].get<int64_t>());
  EXPECT_EQ(r["generate_stream"]["response"], r["generate"]["response"]);
  EXPECT_GT(r["generate_stream"]["parts"].get<int>(), 2);
  EXPECT_EQ(r["chat"]["role"], "assistant");
  EXPECT_EQ(r["chat"]["content"], r["chat_stream"]["content"]);
  EXPECT_EQ(r["chat"]["eval_count"], r["chat_stream"]["eval_count"]);
  if (r["json_format"]["done_reason"] == "stop") {
    const json parsed = json::parse(r["json_format"]["content"].get<std::string>(), nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << r["json_format"]["content"];
  }
  EXPECT_EQ(r["show"]["family"], "qwen2");
  EXPECT_TRUE(r["show"]["has_template"].get<bool>());
  for (const auto& e : r["embed"]) EXPECT_NEAR(e["norm"].get<double>(), 1.0, 1e-3);
  EXPECT_EQ(r["unload"]["done_reason"], "unload");
  for (const auto& name : r["ps_after_unload"]) EXPECT_NE(name, "stories260K");
  EXPECT_EQ(r["unknown_model"]["status"], 404);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServerClients, EightConcurrentStreamsEqualSoloRuns) {
  SKIP_WITHOUT_CLIENTS();
  ServerProcess s(args());
  const json r = run_script("concurrent.mjs", s, {"--n", "8", "--tokens", "48"});
  ASSERT_FALSE(r.contains("script_error")) << r.dump(2) << s.log();
  ASSERT_EQ(r["together"].size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(r["together"][i]["text"].get<std::string>().empty());
    EXPECT_EQ(r["together"][i]["text"], r["alone"][i]["text"]);
    EXPECT_GT(r["together"][i]["chunks"].get<int>(), 2);  // streamed
  }
  EXPECT_EQ(s.stop(), 0);
}
