#include "server/metrics.h"

#include <vector>

#include <fmt/format.h>

namespace hearth::server {

void Metrics::count_request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, status}];
  request_seconds_[endpoint] += seconds;
}

void Metrics::count_generation(int64_t prompt_tokens, int64_t generated_tokens, double generate_seconds) {
  std::lock_guard lock(mu_);
  prompt_tokens_ += prompt_tokens;
  generated_tokens_ += generated_tokens;
  generate_seconds_ += generate_seconds;
  if (generate_seconds > 0 && generated_tokens > 0) last_tokens_per_second_ = static_cast<double>(generated_tokens) / generate_seconds;
}

std::string Metrics::render(const std::vector<ModelGauges>& models) const {
  std::lock_guard lock(mu_);
  std::string out;
  auto header = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  header("hearth_requests_total", "counter", "HTTP requests by endpoint and status.");
  for (const auto& [key, n] : requests_)
    out += fmt::format("hearth_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, n);
  header("hearth_request_seconds_total", "counter", "Time spent serving requests, by endpoint.");
  for (const auto& [ep, s] : request_seconds_) out += fmt::format("hearth_request_seconds_total{{endpoint=\"{}\"}} {:.6f}\n", ep, s);
  header("hearth_prompt_tokens_total", "counter", "Prompt tokens of finished generations.");
  out += fmt::format("hearth_prompt_tokens_total {}\n", prompt_tokens_);
  header("hearth_generated_tokens_total", "counter", "Generated tokens of finished generations.");
  out += fmt::format("hearth_generated_tokens_total {}\n", generated_tokens_);
  header("hearth_tokens_per_second", "gauge", "Generation speed of the last finished request.");
  out += fmt::format("hearth_tokens_per_second {:.3f}\n", last_tokens_per_second_);
  header("hearth_generation_seconds_total", "counter", "Time spent generating (after the prompt).");
  out += fmt::format("hearth_generation_seconds_total {:.6f}\n", generate_seconds_);
  header("hearth_queue_depth", "gauge", "Requests waiting for a free sequence slot.");
  for (const auto& m : models) out += fmt::format("hearth_queue_depth{{model=\"{}\"}} {}\n", m.name, m.queued);
  header("hearth_active_sequences", "gauge", "Sequences being decoded.");
  for (const auto& m : models) out += fmt::format("hearth_active_sequences{{model=\"{}\"}} {}\n", m.name, m.active);
  header("hearth_kv_cells_used", "gauge", "Tokens held in KV caches (active sequences and the prefix cache).");
  for (const auto& m : models) out += fmt::format("hearth_kv_cells_used{{model=\"{}\"}} {}\n", m.name, m.kv_cells);
  header("hearth_prefix_cache_tokens_total", "counter", "Prompt tokens reused from the prefix cache.");
  for (const auto& m : models) out += fmt::format("hearth_prefix_cache_tokens_total{{model=\"{}\"}} {}\n", m.name, m.cached_tokens);
  header("hearth_model_load_seconds", "gauge", "Time the loaded model took to load.");
  for (const auto& m : models) out += fmt::format("hearth_model_load_seconds{{model=\"{}\"}} {:.6f}\n", m.name, m.load_seconds);
  return out;
}

}  // namespace hearth::server
