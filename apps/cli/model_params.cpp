#include "model_params.h"

#include "core/error.h"

namespace hearth::cli {

void apply_model_parameters(const nlohmann::ordered_json& params, GenerationSettings& s,
                            const std::function<bool(const char* flag)>& given) {
  auto& sp = s.sampler;
  for (const auto& [key, v] : params.items()) {
    auto num = [&]() -> double {
      if (!v.is_number()) fail("parameter '{}': expected a number, got {}", key, v.dump());
      return v.get<double>();
    };
    auto set_f = [&](const char* flag, float& out) {
      if (!given(flag)) out = static_cast<float>(num());
    };
    auto set_i = [&](const char* flag, auto& out) {
      if (!given(flag)) out = static_cast<std::remove_reference_t<decltype(out)>>(num());
    };
    if (key == "temperature") set_f("--temp", sp.temperature);
    else if (key == "top_k") set_i("--top-k", sp.top_k);
    else if (key == "top_p") set_f("--top-p", sp.top_p);
    else if (key == "min_p") set_f("--min-p", sp.min_p);
    else if (key == "typical_p") set_f("--typical-p", sp.typical_p);
    else if (key == "repeat_penalty") set_f("--repeat-penalty", sp.repeat_penalty);
    else if (key == "repeat_last_n") set_i("--repeat-last-n", sp.repeat_last_n);
    else if (key == "presence_penalty") set_f("--presence-penalty", sp.presence_penalty);
    else if (key == "frequency_penalty") set_f("--frequency-penalty", sp.frequency_penalty);
    else if (key == "mirostat") set_i("--mirostat", sp.mirostat);
    else if (key == "mirostat_tau") set_f("--mirostat-tau", sp.mirostat_tau);
    else if (key == "mirostat_eta") set_f("--mirostat-eta", sp.mirostat_eta);
    else if (key == "num_predict") set_i("--n-predict", s.n_predict);
    else if (key == "num_ctx") set_i("--ctx-size", s.n_ctx);
    else if (key == "num_thread") set_i("--threads", s.threads);
    else if (key == "seed") {
      if (!given("--seed")) {
        const double seed = num();
        s.seed = seed < 0 ? "-1" : std::to_string(static_cast<uint64_t>(seed));
      }
    } else if (key == "stop") {
      if (!given("--stop")) {
        s.stop.clear();
        for (const auto& item : v.is_array() ? v : nlohmann::ordered_json::array({v}))
          if (item.is_string()) s.stop.push_back(item.get<std::string>());
      }
    }
    // Other Ollama parameters (GPU placement, mmap, ...) do not apply to hearth.
  }
}

}  // namespace hearth::cli
