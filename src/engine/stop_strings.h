#pragma once
// Stop strings over streamed text: a stop string may be split across any number of tokens and
// is never emitted. Text that could still turn out to be the start of a stop string is held
// back until it is clearly not (or generation ends). Every emitted byte keeps the index of
// the generated token it came from, so callers can colour or annotate text per token.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::engine {

class StopStrings {
 public:
  struct Piece {
    std::string text;
    int64_t token;  // index of the generated token the bytes came from
  };

  explicit StopStrings(std::vector<std::string> stops);

  // Adds the text that token `token` completed; returns what is now safe to emit. When a stop
  // string appears, the result ends right before it and stopped() becomes true.
  std::vector<Piece> push(std::string_view text, int64_t token);
  // End of generation: everything still held back.
  std::vector<Piece> flush();
  bool stopped() const { return !matched_.empty(); }
  const std::string& matched() const { return matched_; }
  size_t held_bytes() const { return pending_.size(); }

 private:
  std::vector<Piece> take(size_t n);

  std::vector<std::string> stops_;
  std::string pending_;
  std::deque<std::pair<size_t, int64_t>> runs_;  // (end offset in pending_, token), in order
  std::string matched_;
};

}  // namespace hearth::engine
