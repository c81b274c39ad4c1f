// hearth tokenize: ids (or id:'piece' pairs) on one line, text from --text or stdin.
#include <gtest/gtest.h>

#include "tokenizer_fixtures.h"

using namespace hearth;

namespace {

std::string ids_line(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    if (!s.empty()) s += ' ';
    s += std::to_string(id);
  }
  s += '\n';
  return s;
}

}  // namespace

TEST(TokenizeCommand, PrintsIdsOfTextOrStdin) {
  const auto model = test::model_path("tiny-llama-spm.F16.gguf").string();
  const auto& tok = test::cached_tokenizer(model);
  auto r = test::run_hearth({"tokenize", model, "--text", "Hello world"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ids_line(tok.encode("Hello world", true, false)));

  r = test::run_hearth({"tokenize", model, "--no-bos"}, "Hello\nworld\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ids_line(tok.encode("Hello\nworld\n", false, false)));

  r = test::run_hearth({"tokenize", model, "--special", "--no-bos", "--text", "<s>a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ids_line(tok.encode("<s>a", false, true)));
}

TEST(TokenizeCommand, PiecesAreQuotedAndEscaped) {
  const auto model = test::model_path("tiny-llama-spm.F16.gguf").string();
  auto r = test::run_hearth({"tokenize", model, "--pieces", "--text", "it's\n✅"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // BOS by name, escaped quote and newline, the check mark's bytes as \xNN (split over byte tokens).
  EXPECT_EQ(r.out.rfind("1:'<s>' ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\\'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":'\\n'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":'\\xE2' "), std::string::npos) << r.out;

  const auto qwen = test::model_path("tiny-qwen2.F16.gguf").string();
  r = test::run_hearth({"tokenize", qwen, "--pieces", "--special", "--text", "<|im_start|>Hi"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("4097:'<|im_start|>' ", 0), 0u) << r.out;
}

TEST(TokenizeCommand, ErrorsAreOneLine) {
  auto r = test::run_hearth({"tokenize", "/no/such/model.gguf", "--text", "x"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("model.gguf"), std::string::npos) << r.err;
  r = test::run_hearth({"tokenize", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--pieces"), std::string::npos);
}
