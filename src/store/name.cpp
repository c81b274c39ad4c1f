#include "store/name.h"

#include <cctype>

#include "core/error.h"

namespace hearth::store {
namespace {

constexpr size_t kMaxPart = 80;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// Printable form of a name for error messages (NUL and control bytes escaped).
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out + "'";
}

void check_part(std::string_view whole, std::string_view part, const char* what, bool allow_upper) {
  if (part.empty()) fail("invalid model name {}: the {} is empty", quoted(whole), what);
  if (part.size() > kMaxPart)
    fail("invalid model name {}: the {} is longer than {} characters", quoted(whole), what, kMaxPart);
  const auto ok_start = allow_upper ? is_alnum(part[0]) : is_lower_alnum(part[0]);
  if (!ok_start)
    fail("invalid model name {}: the {} must start with a {}letter or digit", quoted(whole), what,
         allow_upper ? "" : "lowercase ");
  for (char c : part) {
    const bool ok = (allow_upper ? is_alnum(c) : is_lower_alnum(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) {
      if (c >= 'A' && c <= 'Z')
        fail("invalid model name {}: the {} must be lowercase", quoted(whole), what);
      fail("invalid model name {}: the {} may only hold {}letters, digits, '.', '_' and '-'", quoted(whole), what,
           allow_upper ? "" : "lowercase ");
    }
  }
  if (part.find("..") != std::string_view::npos)
    fail("invalid model name {}: '..' is not allowed", quoted(whole));
}

}  // namespace

std::string ModelName::display() const {
  return (ns == "library" ? std::string() : ns + "/") + model + ":" + tag;
}

std::string ModelName::manifest_relpath() const { return ns + "/" + model + "/" + tag; }

ModelName parse_model_name(std::string_view text) {
  if (text.empty()) fail("invalid model name '': a name is required (e.g. llama3:8b)");
  if (text.find('\0') != std::string_view::npos) fail("invalid model name {}: it contains a NUL byte", quoted(text));
  if (text.front() == '/') fail("invalid model name {}: absolute paths are not model names", quoted(text));
  ModelName n;
  std::string_view rest = text;
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    n.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    check_part(text, n.tag, "tag", true);
  }
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    n.ns = std::string(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
    if (rest.find('/') != std::string_view::npos)
      fail("invalid model name {}: at most one '/' (namespace/model)", quoted(text));
    check_part(text, n.ns, "namespace", false);
  }
  n.model = std::string(rest);
  check_part(text, n.model, "model name", false);
  return n;
}

bool is_valid_model_name(std::string_view text) {
  try {
    parse_model_name(text);
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string sanitize_name_part(std::string_view text) {
  std::string out;
  for (char c : text) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool ok = is_lower_alnum(l) || l == '_' || l == '-' || l == '.';
    out += ok ? l : '-';
  }
  // Collapse "..", and trim anything that may not start a part.
  for (size_t p; (p = out.find("..")) != std::string::npos;) out.erase(p, 1);
  while (!out.empty() && !is_lower_alnum(out.front())) out.erase(0, 1);
  if (out.size() > kMaxPart) out.resize(kMaxPart);
  return out.empty() ? "model" : out;
}

}  // namespace hearth::store
