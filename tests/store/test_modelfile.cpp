#include <gtest/gtest.h>

#include "core/error.h"
#include "store/modelfile.h"
#include "store/parameters.h"

using namespace hearth;
using namespace hearth::store;

namespace {
std::string error_of(const std::string& text) {
  try {
    parse_modelfile(text, "Modelfile");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Modelfile, ParsesEveryInstruction) {
  const std::string text = R"(# an Ollama Modelfile
FROM ./model.gguf
parameter temperature 0.2
PARAMETER top_k 20
PARAMETER stop "<|im_end|>"
PARAMETER stop </s>
PARAMETER seed 42
TEMPLATE """{{ if .System }}<|system|>{{ .System }}{{ end }}
<|user|>{{ .Prompt }}"""
SYSTEM You are a pirate.
MESSAGE user Is the sea wet?
MESSAGE assistant "Arr, \"very\"."
LICENSE """MIT
License"""
)";
  const Modelfile mf = parse_modelfile(text, "Modelfile");
  EXPECT_EQ(mf.from, "./model.gguf");
  EXPECT_DOUBLE_EQ(mf.parameters["temperature"].get<double>(), 0.2);
  EXPECT_EQ(mf.parameters["top_k"].get<int64_t>(), 20);
  EXPECT_EQ(mf.parameters["seed"].get<int64_t>(), 42);
  ASSERT_TRUE(mf.parameters["stop"].is_array());
  EXPECT_EQ(mf.parameters["stop"][0], "<|im_end|>");
  EXPECT_EQ(mf.parameters["stop"][1], "</s>");
  ASSERT_TRUE(mf.template_text);
  EXPECT_EQ(*mf.template_text, "{{ if .System }}<|system|>{{ .System }}{{ end }}\n<|user|>{{ .Prompt }}");
  EXPECT_EQ(*mf.system, "You are a pirate.");
  ASSERT_EQ(mf.messages.size(), 2u);
  EXPECT_EQ(mf.messages[0].role, "user");
  EXPECT_EQ(mf.messages[0].content, "Is the sea wet?");
  EXPECT_EQ(mf.messages[1].content, "Arr, \"very\".");
  ASSERT_EQ(mf.licenses.size(), 1u);
  EXPECT_EQ(mf.licenses[0], "MIT\nLicense");
}

TEST(Modelfile, ErrorsNameTheLine) {
  EXPECT_NE(error_of("FROM x\nPARAMETER temperature hot\n").find("Modelfile:2"), std::string::npos);
  EXPECT_NE(error_of("FROM x\nPARAMETER temperature hot\n").find("not a number"), std::string::npos);
  EXPECT_NE(error_of("FROM x\nPARAMETER warp_speed 9\n").find("unknown parameter 'warp_speed'"), std::string::npos);
  EXPECT_NE(error_of("FROM x\nADAPTER ./lora.gguf\n").find("ADAPTER"), std::string::npos);
  EXPECT_NE(error_of("FROM x\nFLY away\n").find("unknown instruction 'FLY'"), std::string::npos);
  EXPECT_NE(error_of("FROM x\nSYSTEM \"\"\"never closed\n").find("unterminated"), std::string::npos);
  EXPECT_NE(error_of("FROM x\nMESSAGE robot hi\n").find("role"), std::string::npos);
  EXPECT_NE(error_of("PARAMETER top_k 1\n").find("no FROM"), std::string::npos);
  EXPECT_NE(error_of("FROM a\nFROM b\n").find("twice"), std::string::npos);
  EXPECT_NE(error_of(std::string("FROM x\0", 7)).find("NUL"), std::string::npos);
  EXPECT_NE(error_of("FROM\n").find("missing argument"), std::string::npos);
}

TEST(Parameters, TypesAndAccumulation) {
  nlohmann::ordered_json p = nlohmann::ordered_json::object();
  set_parameter(p, "num_ctx", "2048");
  set_parameter(p, "use_mmap", "true");
  set_parameter(p, "stop", "a");
  set_parameter(p, "stop", "b b");
  EXPECT_EQ(p["num_ctx"], 2048);
  EXPECT_EQ(p["use_mmap"], true);
  EXPECT_EQ(p["stop"], nlohmann::ordered_json::array({"a", "b b"}));
  EXPECT_THROW(set_parameter(p, "num_ctx", "2048.5"), Error);
  EXPECT_THROW(set_parameter(p, "temperature", "nan"), Error);
  EXPECT_THROW(set_parameter(p, "top_k", ""), Error);
}
