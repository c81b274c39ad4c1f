// The ChatTemplate API: GGUF and file sources, the variables templates see, message validation.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "chat/chat_template.h"
#include "gguf/reader.h"
#include "test_support.h"

namespace hearth::chat {
namespace {

using json = nlohmann::ordered_json;

ChatRenderInput input_with(json messages, bool add_generation_prompt = true) {
  ChatRenderInput in;
  in.messages = std::move(messages);
  in.add_generation_prompt = add_generation_prompt;
  return in;
}

TEST(ChatTemplate, RendersTheQwen3FixtureTemplate) {
  const auto file = gguf::File::open(test::model_path("tiny-qwen3.F16.gguf"));
  ASSERT_TRUE(ChatTemplate::gguf_has_template(file));
  const ChatTemplate t = ChatTemplate::from_gguf(file);
  EXPECT_EQ(t.tool_call_style(), ToolCallStyle::Hermes);
  EXPECT_EQ(t.render(input_with(json::parse(R"([{"role": "system", "content": "Be brief."},
                                                {"role": "user", "content": "Hi"}])"))),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  ChatRenderInput no_think = input_with(json::parse(R"([{"role": "user", "content": "Hi"}])"));
  no_think.extra_context = {{"enable_thinking", false}};
  EXPECT_EQ(t.render(no_think), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

TEST(ChatTemplate, RendersTheLlama3FixtureTemplateWithItsBosToken) {
  const auto file = gguf::File::open(test::model_path("tiny-llama3-bpe.F16.gguf"));
  const ChatTemplate t = ChatTemplate::from_gguf(file);
  EXPECT_FALSE(t.bos_token().empty());
  EXPECT_EQ(t.render(input_with(json::parse(R"([{"role": "user", "content": " Hello "}])"))),
            t.bos_token() + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, ToolsAndToolCallsRenderThroughTheTemplate) {
  const ChatTemplate t = ChatTemplate::from_gguf(gguf::File::open(test::model_path("tiny-qwen3.F16.gguf")));
  ChatRenderInput in = input_with(json::parse(R"([
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
      "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "content": "18C"}])"));
  in.tools = json::parse(R"([{"type": "function", "function": {"name": "get_weather", "parameters": {}}}])");
  const std::string out = t.render(in);
  EXPECT_NE(out.find("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {}}}\n"
                     "</tools>"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>"), std::string::npos) << out;

  // What the model emits in that format parses back into the same call.
  const ParsedReply reply = parse_tool_calls(
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", t.tool_call_style());
  ASSERT_EQ(reply.tool_calls.size(), 1u);
  EXPECT_EQ(reply.tool_calls[0].name, "get_weather");
  EXPECT_EQ(reply.tool_calls[0].arguments_json(), "{\"city\":\"Paris\"}");
}

TEST(ChatTemplate, GgufWithoutTemplateIsAnErrorNamingTheFile) {
  const auto file = gguf::File::open(test::model_path("stories260K.gguf"));
  EXPECT_FALSE(ChatTemplate::gguf_has_template(file));
  try {
    ChatTemplate::from_gguf(file);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("stories260K.gguf"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tokenizer.chat_template"), std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, OverrideFile) {
  test::TempDir dir;
  const auto path = dir.path() / "override.jinja";
  std::ofstream(path) << "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"
                         "{% if add_generation_prompt %}[assistant]{% endif %}{{ eos_token }}\n";
  const auto model = gguf::File::open(test::model_path("tiny-qwen3.F16.gguf"));
  const ChatTemplate t = ChatTemplate::from_file(path, model);
  EXPECT_EQ(t.render(input_with(json::parse(R"([{"role": "user", "content": "x"}])"))),
            "[user] x\n[assistant]" + t.eos_token());
  EXPECT_EQ(ChatTemplate::from_file(path, "<s>", "</s>").render(input_with(json::array(), false)), "</s>");
  EXPECT_THROW(ChatTemplate::from_file(dir.path() / "missing.jinja", "", ""), Error);
}

TEST(ChatTemplate, TemplateErrorsNameTheTemplate) {
  try {
    ChatTemplate("{% if %}", "", "", "custom.jinja");
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("custom.jinja: syntax error: line 1")) << e.what();
  }
  const ChatTemplate t("{{ messages[0].content | trim }}", "", "", "custom.jinja");
  try {
    t.render(input_with(json::parse(R"([{"role": "assistant", "content": null}])")));
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_TRUE(std::string(e.what()).starts_with("custom.jinja: line 1, column 26")) << e.what();
  }
}

TEST(ChatTemplate, RaiseExceptionReachesTheCaller) {
  const ChatTemplate t(
      "{% if messages[0].role != 'user' %}{{ raise_exception('First message must be from the user') }}{% endif %}ok", "",
      "");
  EXPECT_EQ(t.render(input_with(json::parse(R"([{"role": "user", "content": ""}])"))), "ok");
  try {
    t.render(input_with(json::parse(R"([{"role": "assistant", "content": ""}])")));
    FAIL();
  } catch (const TemplateRaised& e) {
    EXPECT_STREQ(e.what(), "First message must be from the user");
  }
}

TEST(ChatTemplate, VariablesTheTemplateSees) {
  const ChatTemplate t("{{ messages | length }}|{{ tools }}|{{ tools is none }}|{{ add_generation_prompt }}|{{ bos_token }}"
                       "|{{ eos_token }}|{{ custom | default('-') }}|{{ strftime_now('%Y-%m-%d') }}",
                       "<s>", "</s>");
  ChatRenderInput in = input_with(json::array(), false);
  in.now = [] {
    std::tm tm{};
    tm.tm_year = 125, tm.tm_mon = 0, tm.tm_mday = 2;
    return tm;
  };
  EXPECT_EQ(t.render(in), "0||true|false|<s>|</s>|-|2025-01-02");
  in.tools = json::parse(R"([{"type": "function"}])");
  in.extra_context = {{"custom", "C"}, {"bos_token", "override"}};
  EXPECT_EQ(t.render(in), "0|[{\"type\": \"function\"}]|false|false|override|</s>|C|2025-01-02");
}

TEST(ChatTemplate, ObjectKeysKeepTheirOrder) {
  const ChatTemplate t("{{ tools[0] | tojson }}", "", "");
  ChatRenderInput in;
  in.tools = json::parse(R"([{"zeta": 1, "alpha": {"y": 2, "b": 3}}])");
  EXPECT_EQ(t.render(in), "{\"zeta\": 1, \"alpha\": {\"y\": 2, \"b\": 3}}");
}

TEST(ChatTemplate, InvalidMessagesAreErrorsNamingTheMessage) {
  const ChatTemplate t("x", "", "");
  auto error_of = [&](const json& messages) {
    try {
      t.render(input_with(messages));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(error_of(json::object()).find("must be a JSON array"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"([{"role": "user"}, 5])")).find("messages[1] must be an object"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"([{"content": "x"}])")).find("messages[0].role"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"([{"role": "user", "content": 5}])")).find("messages[0].content"), std::string::npos);
  EXPECT_NE(error_of(json::parse(R"([{"role": "user", "tool_calls": {}}])")).find("tool_calls"), std::string::npos);
  ChatRenderInput bad_tools;
  bad_tools.tools = json::object();
  EXPECT_THROW(t.render(bad_tools), Error);
}

TEST(ChatTemplate, ParsesStringToolArgumentsOnRequest) {
  const json messages = json::parse(R"([{"role": "assistant", "tool_calls": [
      {"function": {"name": "f", "arguments": "{\"b\": 1, \"a\": [2]}"}},
      {"function": {"name": "g", "arguments": "not json"}},
      {"function": {"name": "h", "arguments": {"x": 1}}}]}])");
  const json out = with_parsed_tool_arguments(messages);
  EXPECT_EQ(out[0]["tool_calls"][0]["function"]["arguments"].dump(), "{\"b\":1,\"a\":[2]}");
  EXPECT_EQ(out[0]["tool_calls"][1]["function"]["arguments"], "not json");
  EXPECT_EQ(out[0]["tool_calls"][2]["function"]["arguments"].dump(), "{\"x\":1}");
}

TEST(ChatTemplate, LongConversationsRenderInLinearTime) {
  const ChatTemplate t = ChatTemplate::from_gguf(gguf::File::open(test::model_path("tiny-qwen3.F16.gguf")));
  ChatRenderInput in;
  const std::string body(400, 'x');
  for (int i = 0; i < 3000; ++i)
    in.messages.push_back({{"role", i % 2 ? "assistant" : "user"}, {"content", std::to_string(i) + body}});
  const std::string out = t.render(in);
  EXPECT_GT(out.size(), 3000u * 400u);
  EXPECT_TRUE(out.ends_with("<|im_start|>assistant\n"));
}

TEST(ChatTemplate, ConcurrentRendersShareOneTemplate) {
  const ChatTemplate t = ChatTemplate::from_gguf(gguf::File::open(test::model_path("tiny-qwen3.F16.gguf")));
  const ChatRenderInput in = input_with(json::parse(R"([{"role": "user", "content": "Hi"}])"));
  const std::string want = t.render(in);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 50; ++k)
        if (t.render(in) != want) ++mismatches;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace hearth::chat
