#pragma once
// Applying a model's stored parameters (Modelfile PARAMETER, REPL /set parameter; Ollama
// names) to the generation settings. Command-line flags win: `given(flag)` says whether the
// user set the flag that corresponds to a parameter.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sampling/params.h"

namespace hearth::cli {

struct GenerationSettings {
  sampling::SamplerParams sampler;
  int64_t n_predict = 128;
  int64_t n_ctx = 0;
  int threads = 0;
  std::string seed = "-1";  // as the --seed flag takes it
  std::vector<std::string> stop;
};

void apply_model_parameters(const nlohmann::ordered_json& params, GenerationSettings& s,
                            const std::function<bool(const char* flag)>& given);

}  // namespace hearth::cli
