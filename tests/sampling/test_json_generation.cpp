// End to end with a fixture model: 10 JSON schemas x 5 seeds, each generation constrained by
// the converted grammar must parse as JSON and validate against its schema. The model has
// random weights, so the grammar alone is what makes the output valid.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/generate.h"
#include "json_validator.h"
#include "model/model.h"
#include "sampling/grammar/json_schema.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

using namespace hearth;

namespace {

// Bounded strings and arrays keep every document short enough to finish well inside the
// token budget even though the model's preferences are random.
const char* kSchemas[] = {
    R"({"type":"object","properties":{"name":{"type":"string","maxLength":8},"age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"]})",
    R"({"type":"array","items":{"type":"integer","minimum":-50,"maximum":50},"minItems":1,"maxItems":4})",
    R"({"type":"object","properties":{"ok":{"type":"boolean"},"note":{"type":"null"},"level":{"enum":["low","mid","high"]}},"required":["ok","level"]})",
    R"({"type":"object","properties":{"when":{"type":"string","format":"date"},"id":{"type":"string","format":"uuid"},"at":{"type":"string","format":"time"}},"required":["when","id","at"]})",
    R"({"type":"object","properties":{"score":{"type":"number","minimum":0,"maximum":10},"tags":{"type":"array","items":{"type":"string","minLength":1,"maxLength":5},"maxItems":3}},"required":["score","tags"]})",
    R"({"anyOf":[{"type":"integer","minimum":1,"maximum":999},{"type":"string","maxLength":6},{"type":"boolean"}]})",
    R"({"$defs":{"point":{"type":"object","properties":{"x":{"type":"integer","minimum":-9,"maximum":9},"y":{"type":"integer","minimum":-9,"maximum":9}},"required":["x","y"]}},"type":"object","properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/$defs/point"}},"required":["from","to"]})",
    R"({"type":"object","properties":{"kind":{"const":"event"},"stamp":{"type":"string","format":"date-time"},"count":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}},"required":["kind","stamp","count"]})",
    R"({"oneOf":[{"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":5}},"required":["a"]},{"type":"array","items":{"type":"boolean"},"maxItems":2}]})",
    R"({"type":"object","properties":{"opt1":{"type":"string","maxLength":3},"opt2":{"type":["integer","null"],"minimum":0,"maximum":99},"inner":{"type":"object","properties":{"deep":{"type":"array","items":{"enum":[1,2,3]},"minItems":2,"maxItems":2}},"required":["deep"]}},"required":["inner"]})",
};

}  // namespace

TEST(JsonGeneration, FiftyConstrainedGenerationsValidate) {
  auto model = model::Model::load(test::model_path("tiny-llama-spm.Q8_0.gguf"));
  const auto tok = tokenizer::Tokenizer::from_gguf(model->file());
  engine::ContextOptions opt;
  opt.threads = 1;
  engine::Context ctx(model, opt);
  int valid = 0, total = 0;
  int64_t tokens = 0;
  for (const char* schema_text : kSchemas) {
    const auto schema = nlohmann::json::parse(schema_text);
    const test::JsonValidator validator(schema);
    engine::GenerateRequest req;
    req.prompt = "Reply in JSON:";
    req.max_tokens = 400;
    req.sampler.grammar = sampling::grammar::json_schema_to_gbnf(std::string_view(schema_text));
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      req.sampler.seed = seed;
      std::string out;
      engine::GenerateResult res;
      try {
        res = engine::generate(ctx, tok, req, [&](std::string_view t) {
          out += t;
          return true;
        });
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what() << " after: " << out << "\nschema: " << schema_text << " seed " << seed;
        continue;
      }
      ++total;
      tokens += res.n_generated;
      EXPECT_EQ(res.stop, engine::StopReason::EndOfGeneration) << schema_text << " seed " << seed << ": " << out;
      nlohmann::json doc;
      try {
        doc = nlohmann::json::parse(out);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON (" << e.what() << "): " << out << "\nschema: " << schema_text;
        continue;
      }
      const std::string problem = validator.validate(doc);
      EXPECT_EQ(problem, "") << out << "\nschema: " << schema_text;
      valid += problem.empty();
    }
  }
  EXPECT_EQ(valid, 50);
  std::printf("[json-generation] %d/%d documents valid, %lld tokens\n", valid, total, static_cast<long long>(tokens));
}

TEST(JsonGeneration, ValidatorRejectsWrongDocuments) {
  // The validator must be able to fail, or the test above proves nothing.
  const auto schema = nlohmann::json::parse(kSchemas[0]);
  const test::JsonValidator v(schema);
  EXPECT_EQ(v.validate(nlohmann::json::parse(R"({"name":"ab","age":3})")), "");
  EXPECT_NE(v.validate(nlohmann::json::parse(R"({"name":"abcdefghij","age":3})")), "");
  EXPECT_NE(v.validate(nlohmann::json::parse(R"({"name":"ab","age":121})")), "");
  EXPECT_NE(v.validate(nlohmann::json::parse(R"({"name":"ab"})")), "");
  EXPECT_NE(v.validate(nlohmann::json::parse(R"({"name":"ab","age":3,"x":1})")), "");
  const auto formats = nlohmann::json::parse(kSchemas[3]);
  const test::JsonValidator f(formats);
  EXPECT_NE(f.validate(nlohmann::json::parse(R"({"when":"2024-13-01","id":"x","at":"10:00:00Z"})")), "");
}
