#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "core/error.h"

namespace hearth::tokenizer {
namespace {

// The split patterns, as written in llama.cpp / the models' tokenizer.json files. `\s` and
// `\S` are rewritten to the White_Space set (see with_whitespace_class) before compiling.
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
constexpr const char* kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Cased letters (Lu, Ll, Lt) as DeepSeek's tokenizer.json lists them, as escapes so that no
// editor or tool can normalize them.
constexpr const char* kDeepseekLetters =
    R"(\s?[)"
    R"(A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
    R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C})"
    R"(\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5})"
    R"(\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B})"
    R"(\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45})"
    R"(\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4})"
    R"(\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB})"
    R"(\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115})"
    R"(\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139})"
    R"(\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4})"
    R"(\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F})"
    R"(\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17})"
    R"(\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB})"
    R"(\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943})"
    R"(]+)";
constexpr const char* kCjk = R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";

struct Family {
  std::vector<std::string_view> names;
  std::vector<const char*> patterns;
  bool ignore_merges = false;
};

const std::vector<Family>& families() {
  static const std::vector<Family> f = {
      // llama.cpp's fallback for BPE vocabularies that name no pre-tokenizer.
      {{"default"}, {R"([\p{P}\$\+<=>\^`\|]+)", kGpt2, R"(\p{N}+)", R"([0-9][0-9][0-9])"}, false},
      {{"gpt-2", "gpt2", "gpt-neox", "mpt", "olmo", "phi-2"}, {kGpt2}, false},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3"}, {kLlama3}, true},
      {{"dbrx", "smaug-bpe"}, {kLlama3}, false},
      {{"qwen2", "deepseek-r1-qwen", "stablelm2"}, {kQwen2}, false},
      {{"deepseek-llm"},
       {R"([\r\n])", kDeepseekLetters, R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)", R"(\s+$)", kCjk, R"(\p{N}+)"},
       false},
      {{"deepseek-coder"}, {R"([\r\n])", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, R"(\p{N})"}, false},
      {{"falcon"}, {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, R"([0-9][0-9][0-9])"}, false},
      {{"starcoder", "refact"}, {R"(\p{N})", kGpt2}, false},
  };
  return f;
}

// Unicode White_Space (what llama.cpp and the Hugging Face regexes treat as \s).
constexpr std::string_view kWhiteSpace =
    R"(\t-\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

std::string with_whitespace_class(std::string_view p) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      ++i;
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      } else if (e == 'S') {
        HEARTH_CHECK(!in_class, "\\S inside a character class is not supported: {}", p);
        out += "[^" + std::string(kWhiteSpace) + "]";
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
using Code = std::unique_ptr<pcre2_code, CodeDeleter>;

Code compile(const char* pattern) {
  const std::string p = with_whitespace_class(pattern);
  int err = 0;
  PCRE2_SIZE err_off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &err_off, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    HEARTH_CHECK(false, "pre-tokenizer pattern does not compile at {}: {} ({})", err_off,
                 reinterpret_cast<const char*>(msg), p);
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
  return Code(code);
}

// Per-call matching state: match data, a match context and a JIT stack large enough for
// long runs of one character class.
class MatchState {
 public:
  MatchState()
      : md_(pcre2_match_data_create(1, nullptr)),
        ctx_(pcre2_match_context_create(nullptr)),
        stack_(pcre2_jit_stack_create(32 * 1024, 16 * 1024 * 1024, nullptr)) {
    if (!md_ || !ctx_) throw std::bad_alloc();
    if (stack_) pcre2_jit_stack_assign(ctx_, nullptr, stack_);
  }
  ~MatchState() {
    pcre2_match_data_free(md_);
    pcre2_match_context_free(ctx_);
    if (stack_) pcre2_jit_stack_free(stack_);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;

  // Finds the next match in subject[0, len) at or after `from`; false when there is none.
  bool next(const pcre2_code* code, std::string_view subject, size_t from, size_t* b, size_t* e) {
    const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), from,
                               PCRE2_NO_UTF_CHECK, md_, ctx_);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      fail("pre-tokenizer: matching failed on a {}-byte piece of text: {}", subject.size(),
           reinterpret_cast<const char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md_);
    *b = ov[0];
    *e = ov[1];
    return true;
  }

 private:
  pcre2_match_data* md_;
  pcre2_match_context* ctx_;
  pcre2_jit_stack* stack_;
};

size_t next_char(std::string_view s, size_t i) {
  ++i;
  while (i < s.size() && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80) ++i;
  return i;
}

}  // namespace

struct PreTokenizer::Impl {
  std::string name;
  std::vector<Code> codes;
  bool ignore_merges = false;
};

PreTokenizer PreTokenizer::for_name(std::string_view pre, const std::string& origin) {
  for (const auto& fam : families()) {
    if (std::find(fam.names.begin(), fam.names.end(), pre) == fam.names.end()) continue;
    auto impl = std::make_shared<Impl>();
    impl->name = std::string(pre);
    impl->ignore_merges = fam.ignore_merges;
    for (const char* p : fam.patterns) impl->codes.push_back(compile(p));
    PreTokenizer t;
    t.impl_ = std::move(impl);
    return t;
  }
  std::string known;
  for (const auto& n : known_names()) known += (known.empty() ? "" : ", ") + n;
  fail("{}: tokenizer.ggml.pre '{}' is not a known pre-tokenizer (known: {})", origin, pre, known);
}

std::vector<std::string> PreTokenizer::known_names() {
  std::vector<std::string> out;
  for (const auto& fam : families())
    for (auto n : fam.names) out.emplace_back(n);
  std::sort(out.begin(), out.end());
  return out;
}

bool PreTokenizer::ignore_merges() const { return impl_->ignore_merges; }
const std::string& PreTokenizer::name() const { return impl_->name; }

void PreTokenizer::split(std::string_view text, std::vector<ByteRange>& out) const {
  if (text.empty()) return;
  HEARTH_CHECK(text.size() <= UINT32_MAX, "text too long for the pre-tokenizer");
  MatchState state;
  std::vector<ByteRange> pieces{{0, static_cast<uint32_t>(text.size())}}, next;
  for (const auto& code : impl_->codes) {
    next.clear();
    next.reserve(pieces.size() * 2);
    for (const ByteRange piece : pieces) {
      const std::string_view sub = text.substr(piece.begin, piece.end - piece.begin);
      size_t pos = 0, emitted = 0, b, e;
      while (pos < sub.size() && state.next(code.get(), sub, pos, &b, &e)) {
        if (e == b) {  // no pattern here matches empty text; guard anyway
          pos = next_char(sub, b);
          continue;
        }
        if (b > emitted) next.push_back({piece.begin + static_cast<uint32_t>(emitted), piece.begin + static_cast<uint32_t>(b)});
        next.push_back({piece.begin + static_cast<uint32_t>(b), piece.begin + static_cast<uint32_t>(e)});
        emitted = pos = e;
      }
      if (emitted < sub.size()) next.push_back({piece.begin + static_cast<uint32_t>(emitted), piece.end});
    }
    pieces.swap(next);
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}

}  // namespace hearth::tokenizer
