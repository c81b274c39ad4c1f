#pragma once
// Turning what a user typed (`hearth run X`, `"model": X` in an API request) into a model file:
// an existing file path is used as is; anything else must be a valid store name. This is the
// one entry point the CLI and the server share.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "store/manifest.h"
#include "store/name.h"
#include "store/store.h"

namespace hearth::store {

struct ResolvedModel {
  std::filesystem::path path;        // the GGUF file to load
  std::string display_name;          // "name:tag" for store models, else the path as given
  std::optional<ModelName> name;     // set for store models
  // For store models, the manifest (parameters, template, system prompt, messages, licenses);
  // for plain files, an empty manifest (no parameters, empty template/system).
  Manifest manifest;
  bool from_store() const { return name.has_value(); }
};

// Throws hearth::Error when neither a file nor a model in `store` matches (invalid names,
// e.g. "../x" that is not a file, are refused with the rule they break).
ResolvedModel resolve_model(std::string_view name_or_path, const Store& store);

// --require-signed: refuses a model whose signature is missing, made by a key not in
// `trusted_keys_dir`, or does not verify (including a changed blob), naming why. A plain
// file is refused too: it carries no signature.
void check_signature_policy(const Store& store, const ResolvedModel& model,
                            const std::optional<std::filesystem::path>& trusted_keys_dir);

}  // namespace hearth::store
