#pragma once
// Embeddings for both APIs: each input is tokenized and run through the model on its
// scheduler thread; the vector is the mean of the final hidden states, L2-normalised.
#include <string>
#include <vector>

#include "server/model_registry.h"
#include "server/request_options.h"

namespace hearth::server {

struct EmbedResult {
  std::vector<std::vector<float>> vectors;
  int64_t n_tokens = 0;
};

// `input`: a string, an array of strings, an array of token ids or an array of such arrays.
// Inputs longer than the context are a 400 naming `field` unless `truncate` (keep the start).
EmbedResult embed_inputs(LoadedModel& m, const json& input, const std::string& field, bool truncate);

// Little-endian float32 bytes, base64 (OpenAI's encoding_format "base64").
std::string base64_floats(const std::vector<float>& v);

}  // namespace hearth::server
