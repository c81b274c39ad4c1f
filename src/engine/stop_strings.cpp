#include "engine/stop_strings.h"

#include <algorithm>

namespace hearth::engine {

StopStrings::StopStrings(std::vector<std::string> stops) {
  for (auto& s : stops)
    if (!s.empty()) stops_.push_back(std::move(s));
}

std::vector<StopStrings::Piece> StopStrings::take(size_t n) {
  std::vector<Piece> out;
  size_t start = 0;
  while (start < n && !runs_.empty()) {
    const auto [end, token] = runs_.front();
    const size_t stop = std::min(end, n);
    if (stop > start) out.push_back({pending_.substr(start, stop - start), token});
    start = stop;
    if (end <= n) runs_.pop_front();
  }
  pending_.erase(0, n);
  for (auto& r : runs_) r.first -= n;
  return out;
}

std::vector<StopStrings::Piece> StopStrings::push(std::string_view text, int64_t token) {
  if (stopped() || text.empty()) return {};
  pending_ += text;
  if (!runs_.empty() && runs_.back().second == token)
    runs_.back().first = pending_.size();
  else
    runs_.emplace_back(pending_.size(), token);
  // The earliest complete stop string ends the output.
  size_t first = std::string::npos;
  const std::string* which = nullptr;
  for (const auto& s : stops_) {
    const size_t at = pending_.find(s);
    if (at < first) {
      first = at;
      which = &s;
    }
  }
  if (which) {
    matched_ = *which;
    auto out = take(first);
    pending_.clear();
    runs_.clear();
    return out;
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const auto& s : stops_) {
    for (size_t len = std::min(s.size() - 1, pending_.size()); len > hold; --len) {
      if (pending_.compare(pending_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  return take(pending_.size() - hold);
}

std::vector<StopStrings::Piece> StopStrings::flush() {
  if (stopped()) return {};
  return take(pending_.size());
}

}  // namespace hearth::engine
