#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "gguf/reader.h"
#include "tokenizer/bpe.h"
#include "tokenizer/special_splitter.h"
#include "tokenizer/spm.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

std::string unescape_spaces(std::string_view text) {
  static constexpr std::string_view kMark = "\xE2\x96\x81";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, kMark.size(), kMark) == 0) {
      out += ' ';
      i += kMark.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

// llama_detokenize's three clean-up passes, byte for byte.
void clean_up_spaces(std::string& text) {
  std::string out;
  out.reserve(text.size());
  // " ?", " !", " .", " ,"  ->  "?", "!", ".", ","
  for (size_t i = 0; i < text.size(); ++i) {
    const char x = text[i];
    if (i > 0 && text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) out.pop_back();
    out += x;
  }
  // " ' "  ->  "'"
  text.swap(out);
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const char x = text[i];
    if (i > 0 && x == '\'' && i + 1 < text.size() && text[i - 1] == ' ' && text[i + 1] == ' ') {
      out.pop_back();
      text[++i] = '\0';  // the space after is dropped too, and cannot start another match
    }
    out += x;
  }
  // " 's", " 'm", " 're", " 've"  ->  "'s", "'m", "'re", "'ve"
  text.swap(out);
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const char x = text[i];
    if (i > 0 && text[i - 1] == ' ' && x == '\'' && i + 1 < text.size()) {
      const char x1 = text[i + 1];
      if (x1 == 's' || x1 == 'm') {
        out.pop_back();
      } else if (x1 != 't' && x1 != 'd' && i + 2 < text.size()) {
        const char x2 = text[i + 2];
        if ((x1 == 'r' || x1 == 'v') && x2 == 'e') out.pop_back();
      }
    }
    out += x;
  }
  text.swap(out);
}

}  // namespace

// Built once and never moved: the encoders and splitter point into `vocab`.
struct Tokenizer::Impl {
  Impl(Vocab v, const std::string& origin_name) : origin(origin_name), vocab(std::move(v)), splitter(vocab) {
    if (vocab.type() == VocabType::Spm)
      spm.emplace(vocab);
    else
      bpe.emplace(vocab, PreTokenizer::for_name(vocab.pre(), origin));
    pieces.reserve(static_cast<size_t>(vocab.size()));
    for (int32_t id = 0; id < vocab.size(); ++id) pieces.push_back(plain_piece(id));
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::string plain_piece(int32_t id) const {
    const TokenData& t = vocab.token(id);
    const bool is_spm = vocab.type() == VocabType::Spm;
    switch (t.type) {
      case TokenType::UserDefined: return t.text;
      case TokenType::Normal: return is_spm ? unescape_spaces(t.text) : decode_byte_level(t.text);
      case TokenType::Byte: return is_spm ? std::string(1, static_cast<char>(vocab.token_byte(id))) : decode_byte_level(t.text);
      default: return {};  // CONTROL and UNKNOWN (rendered on request), UNUSED, UNDEFINED
    }
  }

  std::string origin;
  Vocab vocab;
  SpecialSplitter splitter;
  std::optional<SpmEncoder> spm;
  std::optional<BpeEncoder> bpe;
  std::vector<std::string> pieces;  // plain (render_special = false) piece of every token
};

Tokenizer Tokenizer::from_gguf(const gguf::File& file) { return Tokenizer(Vocab::from_gguf(file), file.name()); }

Tokenizer::Tokenizer(Vocab vocab, const std::string& origin)
    : impl_(std::make_shared<const Impl>(std::move(vocab), origin)) {}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  return encode(text, EncodeOptions{add_bos, std::nullopt, parse_special});
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  const Impl& im = *impl_;
  const Vocab& v = im.vocab;
  if (text.size() > UINT32_MAX) fail("{}: text of {} bytes is too long to tokenize", im.origin, text.size());
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (options.add_bos.value_or(v.add_bos())) {
    if (v.special().bos == kNoToken) fail("{}: cannot add BOS: the vocabulary has no BOS token", im.origin);
    out.push_back(v.special().bos);
  }
  const std::vector<Fragment> fragments = im.splitter.split(text, options.parse_special);
  if (im.spm) {
    std::string escaped;
    bool after_special = true;  // the text start counts as "after a special token"
    for (const Fragment& f : fragments) {
      if (!f.is_text()) {
        out.push_back(f.token);
        after_special = true;
        continue;
      }
      escaped.clear();
      SpmEncoder::escape_spaces(text.substr(f.begin, f.end - f.begin), v.add_space_prefix() && after_special, escaped);
      im.spm->encode(escaped, out);
      after_special = false;
    }
  } else {
    for (const Fragment& f : fragments) {
      if (f.is_text())
        im.bpe->encode(text.substr(f.begin, f.end - f.begin), out);
      else
        out.push_back(f.token);
    }
  }
  if (options.add_eos.value_or(v.add_eos())) {
    if (v.special().eos == kNoToken) fail("{}: cannot add EOS: the vocabulary has no EOS token", im.origin);
    out.push_back(v.special().eos);
  }
  return out;
}

const std::string& Tokenizer::piece(int32_t id, bool render_special) const {
  const Impl& im = *impl_;
  if (!im.vocab.contains(id))
    fail("{}: token id {} is out of range (the vocabulary has {} tokens)", im.origin, id, im.vocab.size());
  const TokenData& t = im.vocab.token(id);
  if (render_special && (t.type == TokenType::Control || t.type == TokenType::Unknown)) return t.text;
  return im.pieces[static_cast<size_t>(id)];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, const DecodeOptions& options) const {
  const Vocab& v = impl_->vocab;
  const bool strip = options.strip_leading_space && v.type() == VocabType::Spm && v.add_space_prefix();
  const size_t first = !ids.empty() && ids[0] == v.special().bos && v.special().bos != kNoToken ? 1 : 0;
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& p = piece(ids[i], options.render_special);
    if (strip && i == first && !p.empty() && p[0] == ' ')
      out.append(p, 1);
    else
      out += p;
  }
  if (options.clean_spaces && v.clean_spaces()) clean_up_spaces(out);
  return out;
}

int32_t Tokenizer::n_vocab() const { return impl_->vocab.size(); }
VocabType Tokenizer::type() const { return impl_->vocab.type(); }
int32_t Tokenizer::bos() const { return impl_->vocab.special().bos; }
int32_t Tokenizer::eos() const { return impl_->vocab.special().eos; }
int32_t Tokenizer::eot() const { return impl_->vocab.special().eot; }
int32_t Tokenizer::unk() const { return impl_->vocab.special().unk; }
int32_t Tokenizer::pad() const { return impl_->vocab.special().pad; }
bool Tokenizer::add_bos_default() const { return impl_->vocab.add_bos(); }
bool Tokenizer::add_eos_default() const { return impl_->vocab.add_eos(); }

bool Tokenizer::is_eog(int32_t id) const {
  const auto& eog = impl_->vocab.eog_ids();
  return id != kNoToken && std::find(eog.begin(), eog.end(), id) != eog.end();
}

bool Tokenizer::is_control(int32_t id) const {
  return impl_->vocab.contains(id) && impl_->vocab.token(id).type == TokenType::Control;
}

const std::string& Tokenizer::token_text(int32_t id) const {
  if (!impl_->vocab.contains(id))
    fail("{}: token id {} is out of range (the vocabulary has {} tokens)", impl_->origin, id, impl_->vocab.size());
  return impl_->vocab.token(id).text;
}

int32_t Tokenizer::find_token(std::string_view text) const { return impl_->vocab.find(text); }
const Vocab& Tokenizer::vocab() const { return impl_->vocab; }

}  // namespace hearth::tokenizer
