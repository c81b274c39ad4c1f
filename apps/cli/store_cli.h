#pragma once
// Helpers shared by the store command family (cmd_store.cpp, cmd_pull.cpp, cmd_sign.cpp) and
// by run/show, which resolve store names.
#include <CLI/CLI.hpp>

#include <string>

#include "gguf/reader.h"
#include "store/manifest.h"
#include "store/resolve.h"
#include "store/store.h"

namespace hearth::cli {

// "Q4_K_M" from general.file_type, else the type holding most tensor bytes ("F32").
std::string quantization_label(const gguf::File& f);
// A manifest for a GGUF blob already in the store (digest, size, quantization, architecture).
store::Manifest manifest_for_blob(const store::Store& s, const std::string& digest, const std::string& source);
std::string human_size(uint64_t bytes);

// Resolves a CLI model argument (file path or store name) against the default store.
store::ResolvedModel resolve_cli_model(const std::string& name_or_path);

// `hearth show` for store models: name, digest and the manifest's additions.
nlohmann::ordered_json store_json(const store::ResolvedModel& model);
void print_store_text(const nlohmann::json& store);

void register_pull(CLI::App& app);
void register_signature_commands(CLI::App& app);  // keygen, sign, verify
void register_create(CLI::App& app);

}  // namespace hearth::cli
