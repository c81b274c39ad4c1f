#include <gtest/gtest.h>

#include "core/error.h"
#include "store/name.h"

using namespace hearth;
using namespace hearth::store;

TEST(ModelName, ParsesNamespaceModelAndTag) {
  auto n = parse_model_name("llama3");
  EXPECT_EQ(n.ns, "library");
  EXPECT_EQ(n.model, "llama3");
  EXPECT_EQ(n.tag, "latest");
  EXPECT_EQ(n.display(), "llama3:latest");
  EXPECT_EQ(n.manifest_relpath(), "library/llama3/latest");

  n = parse_model_name("myorg/tiny-llama_2.5:Q4_K_M");
  EXPECT_EQ(n.ns, "myorg");
  EXPECT_EQ(n.model, "tiny-llama_2.5");
  EXPECT_EQ(n.tag, "Q4_K_M");
  EXPECT_EQ(n.display(), "myorg/tiny-llama_2.5:Q4_K_M");
  EXPECT_EQ(n.manifest_relpath(), "myorg/tiny-llama_2.5/Q4_K_M");
}

TEST(ModelName, RefusesTraversalAbsoluteAndOddBytes) {
  using namespace std::string_literals;
  for (const std::string& bad : {"../x"s, ".."s, "x/../y"s, "/etc/passwd"s, "/abs:tag"s, "a\0b"s, "x:.."s, "x:../y"s,
                                "ns/.hidden"s, ".x"s, "-x"s, "a/b/c"s, "a\\b"s, ""s, "x:"s, ":tag"s, "ns/"s, "Upper"s,
                                "sp ace"s, "x:t/y"s, std::string(81, 'a')}) {
    EXPECT_FALSE(is_valid_model_name(bad)) << bad;
    EXPECT_THROW(parse_model_name(bad), Error) << bad;
  }
}

TEST(ModelName, ErrorsSayWhichRule) {
  try {
    parse_model_name(std::string("a\0b", 3));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NUL"), std::string::npos) << e.what();
  }
  try {
    parse_model_name("../x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'../x'"), std::string::npos) << e.what();
  }
  try {
    parse_model_name("/tmp/model");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absolute"), std::string::npos) << e.what();
  }
}

TEST(ModelName, SanitizedPartsAreValid) {
  EXPECT_EQ(sanitize_name_part("stories260K"), "stories260k");
  EXPECT_EQ(sanitize_name_part("Llama 3 (8B)"), "llama-3--8b-");
  EXPECT_EQ(sanitize_name_part("..evil"), "evil");
  EXPECT_EQ(sanitize_name_part(""), "model");
  for (const char* s : {"stories260K", "../../x", "...", "A B", "__x"})
    EXPECT_TRUE(is_valid_model_name(sanitize_name_part(s) + ":latest")) << s;
}
