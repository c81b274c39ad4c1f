#include "chat/tool_calls.h"

#include <optional>

namespace hearth::chat {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kPythonTag = "<|python_tag|>";
constexpr std::string_view kToolCallOpen = "<tool_call>";
constexpr std::string_view kToolCallClose = "</tool_call>";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// One past the bracket closing the JSON value opened at s[start], or npos.
size_t json_value_end(std::string_view s, size_t start) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = start; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
      if (depth < 0) return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

std::optional<ToolCall> call_from_json(const json& j) {
  if (!j.is_object()) return std::nullopt;
  const json* obj = &j;
  if (j.contains("function") && j["function"].is_object() && !j.contains("name")) obj = &j["function"];
  const auto name = obj->find("name");
  if (name == obj->end() || !name->is_string() || name->get<std::string>().empty()) return std::nullopt;
  ToolCall call;
  call.name = name->get<std::string>();
  const json* args = nullptr;
  for (const char* key : {"arguments", "parameters"})
    if (obj->contains(key)) {
      args = &(*obj)[key];
      break;
    }
  if (!args || args->is_null()) return call;
  if (args->is_object()) {
    call.arguments = *args;
    return call;
  }
  if (args->is_string()) {
    json parsed = json::parse(args->get<std::string>(), nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) {
      call.arguments = std::move(parsed);
      return call;
    }
  }
  return std::nullopt;
}

// One or more JSON call objects separated by whitespace, ';' or ','. All or nothing.
std::optional<std::vector<ToolCall>> parse_json_calls(std::string_view s) {
  std::vector<ToolCall> calls;
  size_t pos = 0;
  while (true) {
    while (pos < s.size() && (is_space(s[pos]) || s[pos] == ';' || s[pos] == ',')) ++pos;
    if (pos >= s.size()) break;
    if (s[pos] != '{') return std::nullopt;
    const size_t end = json_value_end(s, pos);
    if (end == std::string_view::npos) return std::nullopt;
    json j = json::parse(s.substr(pos, end - pos), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    auto call = call_from_json(j);
    if (!call) return std::nullopt;
    calls.push_back(std::move(*call));
    pos = end;
  }
  if (calls.empty()) return std::nullopt;
  return calls;
}

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A Python-style literal at s[pos]: "str", 'str', number, True/False/None. Advances pos.
std::optional<json> python_literal(std::string_view s, size_t& pos) {
  if (pos >= s.size()) return std::nullopt;
  const char q = s[pos];
  if (q == '"' || q == '\'') {
    std::string out;
    for (size_t i = pos + 1; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        const char e = s[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        continue;
      }
      if (s[i] == q) {
        pos = i + 1;
        return json(out);
      }
      out += s[i];
    }
    return std::nullopt;
  }
  size_t end = pos;
  while (end < s.size() && (is_ident_char(s[end]) || s[end] == '.' || s[end] == '-' || s[end] == '+')) ++end;
  const std::string_view word = s.substr(pos, end - pos);
  if (word.empty()) return std::nullopt;
  pos = end;
  if (word == "True" || word == "true") return json(true);
  if (word == "False" || word == "false") return json(false);
  if (word == "None" || word == "null") return json(nullptr);
  json n = json::parse(word, nullptr, false);
  if (n.is_discarded() || !n.is_number()) return std::nullopt;
  return n;
}

// Llama 3.1 built-in tools: `brave_search.call(query="...")`.
std::optional<ToolCall> parse_builtin_call(std::string_view s) {
  s = trim(s);
  size_t pos = 0;
  while (pos < s.size() && is_ident_char(s[pos])) ++pos;
  if (pos == 0 || s.substr(pos, 6) != ".call(") return std::nullopt;
  ToolCall call;
  call.name = std::string(s.substr(0, pos));
  pos += 6;
  while (true) {
    while (pos < s.size() && (is_space(s[pos]) || s[pos] == ',')) ++pos;
    if (pos < s.size() && s[pos] == ')') {
      ++pos;
      break;
    }
    const size_t key_start = pos;
    while (pos < s.size() && is_ident_char(s[pos])) ++pos;
    if (pos == key_start) return std::nullopt;
    const std::string key(s.substr(key_start, pos - key_start));
    while (pos < s.size() && is_space(s[pos])) ++pos;
    if (pos >= s.size() || s[pos] != '=') return std::nullopt;
    ++pos;
    while (pos < s.size() && is_space(s[pos])) ++pos;
    auto value = python_literal(s, pos);
    if (!value) return std::nullopt;
    call.arguments[key] = std::move(*value);
  }
  if (!trim(s.substr(pos)).empty()) return std::nullopt;
  return call;
}

std::string_view strip_end_tokens(std::string_view s) {
  while (true) {
    s = trim(s);
    bool stripped = false;
    for (std::string_view tok : {"<|eom_id|>", "<|eot_id|>"})
      if (s.ends_with(tok)) s.remove_suffix(tok.size()), stripped = true;
    if (!stripped) return s;
  }
}

ParsedReply parse_llama3(std::string_view output) {
  ParsedReply reply;
  const size_t tag = output.find(kPythonTag);
  if (tag != std::string_view::npos) {
    const std::string_view body = strip_end_tokens(output.substr(tag + kPythonTag.size()));
    if (auto calls = parse_json_calls(body)) {
      reply.content = std::string(trim(output.substr(0, tag)));
      reply.tool_calls = std::move(*calls);
      return reply;
    }
    if (auto call = parse_builtin_call(body)) {
      reply.content = std::string(trim(output.substr(0, tag)));
      reply.tool_calls.push_back(std::move(*call));
      return reply;
    }
  } else {
    const std::string_view body = strip_end_tokens(output);
    if (body.starts_with('{'))
      if (auto calls = parse_json_calls(body)) {
        reply.tool_calls = std::move(*calls);
        return reply;
      }
  }
  reply.content = std::string(output);
  return reply;
}

ParsedReply parse_hermes(std::string_view output) {
  ParsedReply reply;
  std::string content;
  size_t pos = 0;
  while (pos < output.size()) {
    const size_t open = output.find(kToolCallOpen, pos);
    if (open == std::string_view::npos) {
      content.append(output.substr(pos));
      break;
    }
    content.append(output.substr(pos, open - pos));
    const size_t body_start = open + kToolCallOpen.size();
    const size_t close = output.find(kToolCallClose, body_start);
    const size_t block_end = close == std::string_view::npos ? output.size() : close + kToolCallClose.size();
    const std::string_view body =
        trim(output.substr(body_start, (close == std::string_view::npos ? output.size() : close) - body_start));
    std::optional<ToolCall> call;
    if (body.starts_with('{') && json_value_end(body, 0) == body.size()) {
      json j = json::parse(body, nullptr, false);
      if (!j.is_discarded()) call = call_from_json(j);
    }
    if (call) {
      reply.tool_calls.push_back(std::move(*call));
    } else {
      content.append(output.substr(open, block_end - open));
    }
    pos = block_end;
  }
  if (reply.tool_calls.empty()) {
    reply.content = std::string(output);
  } else {
    reply.content = std::string(trim(content));
  }
  return reply;
}

}  // namespace

std::string_view tool_call_style_name(ToolCallStyle style) {
  switch (style) {
    case ToolCallStyle::Llama3: return "llama3";
    case ToolCallStyle::Hermes: return "hermes";
    case ToolCallStyle::None: break;
  }
  return "none";
}

ToolCallStyle detect_tool_call_style(std::string_view source) {
  if (source.find(kToolCallOpen) != std::string_view::npos) return ToolCallStyle::Hermes;
  if (source.find(kPythonTag) != std::string_view::npos || source.find("ipython") != std::string_view::npos)
    return ToolCallStyle::Llama3;
  return ToolCallStyle::None;
}

ParsedReply parse_tool_calls(std::string_view output, ToolCallStyle style) {
  switch (style) {
    case ToolCallStyle::Llama3: return parse_llama3(output);
    case ToolCallStyle::Hermes: return parse_hermes(output);
    case ToolCallStyle::None: break;
  }
  return ParsedReply{std::string(output), {}};
}

}  // namespace hearth::chat
