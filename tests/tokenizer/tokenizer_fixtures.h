#pragma once
// Helpers for the tokenizer tests: cached tokenizers of the shared fixture files and the
// llama.cpp test-vector format (.inp cases separated by a __ggml_vocab_test__ line, .out ids).
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "test_support.h"
#include "tokenizer/tokenizer.h"

namespace hearth::test {

// Loads (once per process) the tokenizer of a GGUF file.
inline const tokenizer::Tokenizer& cached_tokenizer(const std::filesystem::path& path) {
  static std::mutex mu;
  static std::map<std::string, tokenizer::Tokenizer> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(path.string());
  if (it == cache.end()) {
    auto file = gguf::File::open(path);
    it = cache.emplace(path.string(), tokenizer::Tokenizer::from_gguf(file)).first;
  }
  return it->second;
}

inline std::vector<std::string> read_vocab_cases(const std::filesystem::path& inp) {
  static const std::string sep = "\n__ggml_vocab_test__\n";
  const std::string all = read_file(inp);
  std::vector<std::string> cases;
  size_t pos = 0;
  for (size_t next; (next = all.find(sep, pos)) != std::string::npos; pos = next + sep.size())
    cases.push_back(all.substr(pos, next - pos));
  return cases;
}

inline std::vector<std::vector<int32_t>> read_vocab_ids(const std::filesystem::path& out) {
  std::vector<std::vector<int32_t>> ids;
  std::istringstream in(read_file(out));
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    ids.emplace_back();
    for (int32_t id; ls >> id;) ids.back().push_back(id);
  }
  return ids;
}

// The GGUF whose tokenizer produced a vector file: ggml-vocab-X.gguf.inp -> ggml-vocab-X.gguf,
// tiny-M.on-V.inp -> models/tiny-M.F16.gguf.
inline std::filesystem::path vocab_for_vectors(const std::filesystem::path& inp) {
  const std::string stem = inp.stem().string();
  if (inp.filename().string().ends_with(".gguf.inp")) return inp.parent_path() / stem;
  return model_path(stem.substr(0, stem.find(".on-")) + ".F16.gguf");
}

}  // namespace hearth::test
