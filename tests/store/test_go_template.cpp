#include <gtest/gtest.h>

#include "core/error.h"
#include "store/go_template.h"

using namespace hearth;
using namespace hearth::store;

namespace {
GoTemplateInput conversation() {
  GoTemplateInput in;
  in.system = "Be brief.";
  in.prompt = "And you?";
  in.messages = {{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello!"}, {"user", "And you?"}};
  return in;
}
}  // namespace

TEST(GoTemplate, Llama3StyleMessagesTemplate) {
  // The shape of Ollama's llama3 template.
  const std::string tmpl =
      "{{- if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}\n"
      "{{- range $i, $_ := .Messages }}\n"
      "{{- $last := eq (len (slice $.Messages $i)) 1 }}\n"
      "{{- if eq .Role \"user\" }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Content }}<|eot_id|>"
      "{{ if $last }}<|start_header_id|>assistant<|end_header_id|>\n\n{{ end }}\n"
      "{{- else if eq .Role \"assistant\" }}<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Content }}"
      "{{ if not $last }}<|eot_id|>{{ end }}\n"
      "{{- end }}\n"
      "{{- end }}";
  EXPECT_EQ(render_go_template(tmpl, conversation()),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nAnd you?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(GoTemplate, LegacyPromptTemplate) {
  const std::string tmpl = "{{ if .System }}<<SYS>>{{ .System }}<</SYS>>{{ end }}[INST] {{ .Prompt }} [/INST]{{ .Response }}";
  GoTemplateInput in;
  in.prompt = "Hi";
  EXPECT_EQ(render_go_template(tmpl, in), "[INST] Hi [/INST]");
  in.system = "S";
  in.response = "R";
  EXPECT_EQ(render_go_template(tmpl, in), "<<SYS>>S<</SYS>>[INST] Hi [/INST]R");
  EXPECT_EQ(render_go_template("{{/* a comment */}}x{{ \"lit\" }}{{ 42 }}{{ ne 1 2 }}{{ or \"\" \"b\" }}", in),
            "xlit42trueb");
  EXPECT_EQ(render_go_template("{{ range .Messages }}x{{ else }}none{{ end }}", in), "none");
}

TEST(GoTemplate, ErrorsAreClear) {
  const GoTemplateInput in = conversation();
  EXPECT_THROW(render_go_template("{{ if .System }}open", in), Error);
  EXPECT_THROW(render_go_template("{{ .Nope }}", in), Error);
  EXPECT_THROW(render_go_template("{{ printf \"%s\" .System }}", in), Error);
  EXPECT_THROW(render_go_template("{{ .System", in), Error);
  EXPECT_THROW(render_go_template("{{ end }}", in), Error);
  EXPECT_THROW(render_go_template("{{ $x }}", in), Error);
  EXPECT_THROW(render_go_template("{{ range .System }}{{ end }}", in), Error);
  EXPECT_TRUE(looks_like_go_template("{{ .Prompt }}"));
  EXPECT_FALSE(looks_like_go_template("{% for m in messages %}{{ m.content }}{% endfor %}"));
  EXPECT_FALSE(looks_like_go_template("plain"));
}
