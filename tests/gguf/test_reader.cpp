#include <gtest/gtest.h>

#include "gguf/reader.h"
#include "test_support.h"

using namespace hearth;

TEST(GgufReader, ReadsEveryFixture) {
  auto models = test::files_with_extension(test::shared_dir() / "models", ".gguf");
  auto vocabs = test::files_with_extension(test::shared_dir() / "tokenizer", ".gguf");
  ASSERT_GE(models.size(), 20u) << "fixtures missing under " << test::shared_dir();
  ASSERT_GE(vocabs.size(), 5u);
  models.insert(models.end(), vocabs.begin(), vocabs.end());
  for (const auto& p : models) {
    SCOPED_TRACE(p.string());
    auto f = gguf::File::open(p);
    EXPECT_TRUE(f.version() == 2 || f.version() == 3);
    EXPECT_TRUE(f.has("general.architecture"));
    EXPECT_TRUE(f.has("tokenizer.ggml.tokens"));
    for (const auto& t : f.tensors()) {
      EXPECT_GE(t.data, f.bytes().data() + f.data_offset());
      EXPECT_LE(t.data + t.n_bytes, f.bytes().data() + f.file_size());
    }
  }
}

TEST(GgufReader, TypedAccessNamesKeyAndType) {
  auto f = gguf::File::open(test::model_path("tiny-llama-spm.F32.gguf"));
  EXPECT_EQ(f.get<uint32_t>("llama.block_count"), 2u);
  EXPECT_EQ(f.get<std::string>("general.architecture"), "llama");
  try {
    (void)f.get<uint64_t>("llama.block_count");
    FAIL() << "expected a type error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("llama.block_count"), std::string::npos) << msg;
    EXPECT_NE(msg.find("UINT32"), std::string::npos) << msg;
    EXPECT_NE(msg.find("UINT64"), std::string::npos) << msg;
  }
  try {
    (void)f.get<uint32_t>("llama.no_such_key");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("llama.no_such_key"), std::string::npos);
  }
  auto tokens = f.get_array<std::string>("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens.size(), 4096u);
  EXPECT_EQ(tokens[1], "<s>");
}

TEST(GgufReader, TensorShapesAndTypes) {
  auto f = gguf::File::open(test::model_path("tiny-llama-spm.Q4_K_M.gguf"));
  const auto* emb = f.find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->ne[0], 256);
  EXPECT_EQ(emb->ne[1], 4096);
  EXPECT_EQ(emb->type, GgmlType::Q4_K);
  const auto* out = f.find_tensor("output.weight");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->type, GgmlType::Q6_K);
  EXPECT_EQ(out->n_bytes, 4096u * 210u);
}
