// hearth tokenize MODEL [--no-bos] [--special] [--pieces] [--text TEXT]: the token ids of a text
// (from --text, else all of stdin, verbatim) with the model's own tokenizer.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "commands.h"
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace hearth::cli {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  bool no_bos = false;
  bool special = false;
  bool pieces = false;
};

// A piece as a single-quoted string: complete UTF-8 characters as they are; quote, backslash,
// \n \t \r as escapes; other control bytes and bytes of incomplete characters as \xNN.
std::string quote_piece(std::string_view p) {
  std::string out = "'";
  size_t i = 0;
  while (i < p.size()) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x80) {
      const size_t n = tokenizer::utf8_sequence_length(p.substr(i));
      if (n) {
        out.append(p.substr(i, n));
        i += n;
      } else {
        out += fmt::format("\\x{:02X}", c);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F)
          out += fmt::format("\\x{:02X}", c);
        else
          out += static_cast<char>(c);
    }
    ++i;
  }
  out += "'";
  return out;
}

int run_tokenize(const TokenizeArgs& a, bool have_text) {
  auto file = gguf::File::open(a.model);
  auto tok = tokenizer::Tokenizer::from_gguf(file);
  std::string text = a.text;
  if (!have_text) text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  const bool add_bos = tok.add_bos_default() && !a.no_bos;
  const auto ids = tok.encode(text, add_bos, a.special);
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ' ';
    line += std::to_string(ids[i]);
    if (a.pieces) line += ":" + quote_piece(tok.piece(ids[i], /*render_special=*/true));
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto* sub = app.add_subcommand("tokenize", "Print the token ids of a text, using the model's tokenizer");
  auto a = std::make_shared<TokenizeArgs>();
  sub->add_option("model", a->model, "GGUF model (or vocabulary-only GGUF) file")->required();
  auto* text_opt = sub->add_option("--text", a->text, "Text to tokenize (default: all of stdin, byte for byte, "
                                                      "including any trailing newline)");
  sub->add_flag("--no-bos", a->no_bos, "Do not add the BOS token even if the model asks for it");
  sub->add_flag("--special", a->special,
                "Parse special-token texts such as <|im_start|> into their ids (default: tokenize them as text)");
  sub->add_flag("--pieces", a->pieces,
                "Print id:'piece' pairs instead of bare ids, e.g. 1:'<s>' 15043:' Hello'; the piece is the token's "
                "bytes, quoted, with \\' \\\\ \\n \\t \\r escapes and \\xNN for control bytes and bytes of a "
                "character split across tokens; special tokens show their text");
  sub->footer("Output: one line of space-separated token ids.");
  add_command(app, sub, [a, text_opt] { return run_tokenize(*a, text_opt->count() > 0); });
}

}  // namespace hearth::cli
