#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <variant>

#include "core/error.h"
#include "gguf/reader.h"

namespace hearth::tokenizer {
namespace {

constexpr const char* kModelKey = "tokenizer.ggml.model";
constexpr const char* kTokensKey = "tokenizer.ggml.tokens";
constexpr const char* kScoresKey = "tokenizer.ggml.scores";
constexpr const char* kTypesKey = "tokenizer.ggml.token_type";
constexpr const char* kMergesKey = "tokenizer.ggml.merges";
constexpr const char* kPreKey = "tokenizer.ggml.pre";

// Pre-tokenizer names after which llama.cpp adds BOS unless the file says otherwise.
bool pre_adds_bos(std::string_view pre) {
  return pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3";
}

// llama.cpp tidies decoded spaces for byte-level BPE vocabularies except these.
bool pre_cleans_spaces(std::string_view pre) {
  return !(pre == "deepseek-llm" || pre == "deepseek-coder" || pre == "qwen2" || pre == "deepseek-r1-qwen");
}

std::optional<int64_t> int_of(const gguf::Value& v) {
  return std::visit(
      [](const auto& x) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, uint64_t>)
          return static_cast<int64_t>(x);
        else if constexpr (std::is_same_v<T, uint64_t>)
          return x > static_cast<uint64_t>(INT64_MAX) ? std::nullopt : std::optional<int64_t>(static_cast<int64_t>(x));
        else
          return std::nullopt;
      },
      v.data);
}

// Reads an optional token id key. -1 (or its UINT32 form) means "none"; any other value must
// be a valid id.
std::optional<int32_t> read_id(const gguf::File& f, const char* key, int32_t n_tokens) {
  auto v = f.get_int_optional(key);
  if (!v) return std::nullopt;
  if (*v == -1 || *v == 0xFFFFFFFFll) return kNoToken;
  if (*v < 0 || *v >= n_tokens)
    fail("{}: {} = {} is not a token id (the vocabulary has {} tokens)", f.name(), key, *v, n_tokens);
  return static_cast<int32_t>(*v);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xNN>" -> NN, or -1.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  const int hi = hex_digit(text[3]), lo = hex_digit(text[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace

const std::string& Vocab::model_name() const {
  static const std::string spm = "llama", bpe = "gpt2";
  return type_ == VocabType::Spm ? spm : bpe;
}

uint8_t Vocab::token_byte(int32_t id) const {
  HEARTH_CHECK(contains(id) && token(id).type == TokenType::Byte, "token {} is not a byte token", id);
  return static_cast<uint8_t>(parse_byte_token(token(id).text));
}

Vocab Vocab::from_gguf(const gguf::File& f) {
  Spec spec;
  const gguf::Value* model = f.find(kModelKey);
  if (!model) fail("{}: no tokenizer in this file ({} is missing)", f.name(), kModelKey);
  const auto& model_name = f.get<std::string>(kModelKey);
  if (model_name == "llama")
    spec.type = VocabType::Spm;
  else if (model_name == "gpt2")
    spec.type = VocabType::Bpe;
  else
    fail("{}: {} '{}' is not supported (supported: 'llama' = SentencePiece, 'gpt2' = byte-level BPE)", f.name(),
         kModelKey, model_name);

  const gguf::Array& tokens = f.get_array_value(kTokensKey);
  if (tokens.elem_type != gguf::ValueType::STRING)
    fail("{}: {} must be an array of strings", f.name(), kTokensKey);
  if (tokens.items.empty()) fail("{}: {} is empty", f.name(), kTokensKey);
  if (tokens.items.size() > static_cast<size_t>(INT32_MAX))
    fail("{}: {} has too many entries ({})", f.name(), kTokensKey, tokens.items.size());
  const auto n = static_cast<int32_t>(tokens.items.size());
  spec.tokens.resize(tokens.items.size());
  for (size_t i = 0; i < tokens.items.size(); ++i) spec.tokens[i].text = std::get<std::string>(tokens.items[i].data);

  if (f.has(kScoresKey)) {
    const gguf::Array& scores = f.get_array_value(kScoresKey);
    if (scores.items.size() != tokens.items.size())
      fail("{}: {} has {} entries but {} has {}", f.name(), kScoresKey, scores.items.size(), kTokensKey, n);
    for (size_t i = 0; i < scores.items.size(); ++i) {
      const auto& v = scores.items[i].data;
      if (const float* s = std::get_if<float>(&v))
        spec.tokens[i].score = *s;
      else if (const double* d = std::get_if<double>(&v))
        spec.tokens[i].score = static_cast<float>(*d);
      else
        fail("{}: {} must be an array of FLOAT32", f.name(), kScoresKey);
    }
  }
  if (f.has(kTypesKey)) {
    const gguf::Array& types = f.get_array_value(kTypesKey);
    if (types.items.size() != tokens.items.size())
      fail("{}: {} has {} entries but {} has {}", f.name(), kTypesKey, types.items.size(), kTokensKey, n);
    for (size_t i = 0; i < types.items.size(); ++i) {
      auto t = int_of(types.items[i]);
      if (!t) fail("{}: {} must be an array of integers", f.name(), kTypesKey);
      if (*t < 0 || *t > 6) fail("{}: {}[{}] = {} is not a token type (0..6)", f.name(), kTypesKey, i, *t);
      spec.tokens[i].type = static_cast<TokenType>(*t);
    }
  }
  if (spec.type == VocabType::Bpe) {
    if (!f.has(kMergesKey)) fail("{}: {} is missing (required for a 'gpt2' tokenizer)", f.name(), kMergesKey);
    const gguf::Array& merges = f.get_array_value(kMergesKey);
    if (merges.elem_type != gguf::ValueType::STRING && !merges.items.empty())
      fail("{}: {} must be an array of strings", f.name(), kMergesKey);
    spec.merges.reserve(merges.items.size());
    for (size_t i = 0; i < merges.items.size(); ++i) {
      const auto& m = std::get<std::string>(merges.items[i].data);
      const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
      if (sp == std::string::npos || sp + 1 >= m.size())
        fail("{}: {}[{}] = '{}' is not two space-separated parts", f.name(), kMergesKey, i, m);
      spec.merges.emplace_back(m.substr(0, sp), m.substr(sp + 1));
    }
    spec.pre = f.get_optional<std::string>(kPreKey).value_or("default");
  } else {
    spec.pre = f.get_optional<std::string>(kPreKey).value_or("default");
    // SentencePiece defaults, as llama.cpp applies them when the keys are absent.
    spec.special.bos = n > 1 ? 1 : kNoToken;
    spec.special.eos = n > 2 ? 2 : kNoToken;
    spec.special.unk = 0;
  }

  const std::pair<const char*, int32_t SpecialTokens::*> id_keys[] = {
      {"tokenizer.ggml.bos_token_id", &SpecialTokens::bos},
      {"tokenizer.ggml.eos_token_id", &SpecialTokens::eos},
      {"tokenizer.ggml.eot_token_id", &SpecialTokens::eot},
      {"tokenizer.ggml.eom_token_id", &SpecialTokens::eom},
      {"tokenizer.ggml.unknown_token_id", &SpecialTokens::unk},
      {"tokenizer.ggml.seperator_token_id", &SpecialTokens::sep},  // sic: GGUF's spelling
      {"tokenizer.ggml.padding_token_id", &SpecialTokens::pad},
  };
  for (const auto& [key, member] : id_keys)
    if (auto id = read_id(f, key, n)) spec.special.*member = *id;

  spec.add_bos = f.get_optional<bool>("tokenizer.ggml.add_bos_token");
  spec.add_eos = f.get_optional<bool>("tokenizer.ggml.add_eos_token");
  spec.add_space_prefix = f.get_optional<bool>("tokenizer.ggml.add_space_prefix");
  spec.name = f.get_optional<std::string>("general.name").value_or("");
  return build(std::move(spec), f.name());
}

Vocab Vocab::build(Spec spec, const std::string& origin) {
  Vocab v;
  v.type_ = spec.type;
  v.pre_ = std::move(spec.pre);
  v.tokens_ = std::move(spec.tokens);
  v.merges_ = std::move(spec.merges);
  v.special_ = spec.special;
  if (v.tokens_.empty()) fail("{}: the vocabulary is empty", origin);
  const bool spm = v.type_ == VocabType::Spm;
  v.add_bos_ = spec.add_bos.value_or(spm || pre_adds_bos(v.pre_));
  v.add_eos_ = spec.add_eos.value_or(false);
  v.add_space_prefix_ = spec.add_space_prefix.value_or(spm);
  v.clean_spaces_ = spec.clean_spaces.value_or(!spm && pre_cleans_spaces(v.pre_));
  v.finish(origin, spec.name);
  return v;
}

void Vocab::finish(const std::string& origin, const std::string& name) {
  const int32_t n = size();
  for (int32_t* id : {&special_.bos, &special_.eos, &special_.eot, &special_.eom, &special_.unk, &special_.sep,
                      &special_.pad})
    if (*id != kNoToken && !contains(*id)) fail("{}: special token id {} is out of range (0..{})", origin, *id, n - 1);

  index_.reserve(tokens_.size());
  for (int32_t i = 0; i < n; ++i) {
    auto& t = tokens_[static_cast<size_t>(i)];
    if (t.text.empty()) t.text = "[EMPTY_" + std::to_string(i) + "]";  // as llama.cpp does
    index_.set(t.text, i);  // later duplicates win, as in llama.cpp
  }

  for (int b = 0; b < 256; ++b) {
    static constexpr char hex[] = "0123456789ABCDEF";
    const char text[] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
    int32_t id = find(text);
    if (id == kNoToken && type_ == VocabType::Spm) {  // llama.cpp falls back to the byte itself
      const char raw = static_cast<char>(b);
      id = find(std::string_view(&raw, 1));
    }
    byte_tokens_[b] = id;
  }
  if (type_ == VocabType::Spm) {
    for (int32_t i = 0; i < n; ++i)
      if (token(i).type == TokenType::Byte && parse_byte_token(token(i).text) < 0)
        fail("{}: tokenizer.ggml.tokens[{}] = '{}' has token_type BYTE but is not of the form <0xNN>", origin, i,
             token(i).text);
  }

  for (int32_t i = 0; i < n; ++i) {
    const TokenType t = token(i).type;
    if (t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown) special_ids_.push_back(i);
  }
  // Per-model attributes llama.cpp applies by name: Phi-3's chat tokens swallow the
  // whitespace after them.
  const std::string lname = lower(name);
  if (lname.find("phi-3") != std::string::npos || lname.find("phi3") != std::string::npos) {
    for (int32_t id : special_ids_) tokens_[static_cast<size_t>(id)].rstrip = true;
    if (int32_t id = find("</s>"); id != kNoToken) tokens_[static_cast<size_t>(id)].rstrip = true;
    for (const char* text : {"<unk>", "<s>", "<|endoftext|>"})
      if (int32_t id = find(text); id != kNoToken) tokens_[static_cast<size_t>(id)].rstrip = false;
  }
  // Longest text first: the splitter tries long special tokens before their prefixes.
  std::stable_sort(special_ids_.begin(), special_ids_.end(),
                   [this](int32_t a, int32_t b) { return token(a).text.size() > token(b).text.size(); });

  if (special_.eot == kNoToken) {
    for (const char* text : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
                             "_<EOT>", "<｜end▁of▁sentence｜>"}) {
      if (int32_t id = find(text); id != kNoToken) {
        special_.eot = id;
        break;
      }
    }
  }
  if (special_.eom == kNoToken) special_.eom = find("<|eom_id|>");

  auto add_eog = [this](int32_t id) {
    if (id != kNoToken && std::find(eog_.begin(), eog_.end(), id) == eog_.end()) eog_.push_back(id);
  };
  add_eog(special_.eos);
  add_eog(special_.eot);
  add_eog(special_.eom);
  for (const char* text : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
                           "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
                           "<｜end▁of▁sentence｜>"}) {
    add_eog(find(text));
  }
}

}  // namespace hearth::tokenizer
