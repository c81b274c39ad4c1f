#pragma once
// Server counters for GET /metrics (Prometheus text format). Thread-safe.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace hearth::server {

struct ModelGauges {  // per loaded model, read from its scheduler when /metrics is scraped
  std::string name;
  int64_t queued = 0, active = 0, kv_cells = 0, prompt_tokens = 0, cached_tokens = 0, generated_tokens = 0;
  double load_seconds = 0;
};

class Metrics {
 public:
  void count_request(const std::string& endpoint, int status, double seconds);
  // Tokens of one finished generation, for throughput.
  void count_generation(int64_t prompt_tokens, int64_t generated_tokens, double generate_seconds);
  std::string render(const std::vector<ModelGauges>& models) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, double> request_seconds_;
  int64_t prompt_tokens_ = 0, generated_tokens_ = 0;
  double generate_seconds_ = 0;
  double last_tokens_per_second_ = 0;
};

}  // namespace hearth::server
