#pragma once
// Model parameters with Ollama's names and types (PARAMETER in a Modelfile, `/set parameter`
// in the REPL, "options" in the Ollama API): temperature, top_k, num_ctx, stop, ...
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hearth::store {

enum class ParamType { Int, Float, Bool, String };

// The type of a known parameter; throws hearth::Error listing the known names otherwise.
ParamType parameter_type(std::string_view name);
// Converts `text` to the parameter's type (errors name the parameter and the expected type).
nlohmann::ordered_json parse_parameter(std::string_view name, std::string_view text);
// Sets params[name]; "stop" accumulates into an array, the others replace.
void set_parameter(nlohmann::ordered_json& params, std::string_view name, std::string_view text);
// Comma-separated list of the known parameter names, for help texts.
std::string known_parameters();

}  // namespace hearth::store
