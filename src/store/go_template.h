#pragma once
// Ollama Modelfile TEMPLATEs are Go text/templates ({{ .System }}, {{ .Prompt }},
// {{ range .Messages }}{{ if eq .Role "user" }}...{{ end }}{{ end }}). This renders the subset
// those templates use, so an existing Modelfile works unchanged: text, {{- -}} trimming,
// fields (.System .Prompt .Response .Messages, .Role .Content on a message, $ and $var),
// if / else if / else, range (with `$i, $m :=`), with-less variables (`$x := ...`), string and
// integer literals, and the functions eq ne and or not len slice. Anything else is a
// hearth::Error naming the construct.
#include <string>
#include <string_view>
#include <vector>

#include "store/manifest.h"

namespace hearth::store {

// true for text that uses Go template actions rather than Jinja ({% ... %}).
bool looks_like_go_template(std::string_view text);

struct GoTemplateInput {
  std::string system;
  std::string prompt;    // the last user message
  std::string response;  // empty while generating
  std::vector<ChatMessage> messages;  // the whole conversation, system message included
};

std::string render_go_template(std::string_view source, const GoTemplateInput& input);

}  // namespace hearth::store
