#pragma once
// Model names in the store, Ollama-style: `[namespace/]model[:tag]`, tag "latest" by default.
// Each part is 1..80 characters: namespace and model are lowercase letters, digits and `._-`;
// a tag may also hold uppercase letters (quant names such as Q4_K_M). Every part starts with a
// letter or digit, so `..`, `.hidden`, absolute paths, backslashes and NUL are all refused:
// a name always maps to a path inside the store.
#include <string>
#include <string_view>

namespace hearth::store {

struct ModelName {
  std::string ns = "library";  // the namespace; "library" when none is given
  std::string model;
  std::string tag = "latest";

  // "ns/model:tag", with "library/" left out.
  std::string display() const;
  // "ns/model/tag": where the manifest lives under manifests/.
  std::string manifest_relpath() const;
  bool operator==(const ModelName&) const = default;
};

// Parses and validates; throws hearth::Error naming the name and the rule it breaks.
ModelName parse_model_name(std::string_view text);
// true when parse_model_name would accept `text`.
bool is_valid_model_name(std::string_view text);

// A valid model-name part derived from free text (e.g. a file stem): lowercased, other
// characters turned into '-', trimmed to 80 characters; "model" when nothing is left.
std::string sanitize_name_part(std::string_view text);

}  // namespace hearth::store
