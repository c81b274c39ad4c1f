#include "repl.h"

#include <editline/readline.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <optional>

#include "chat/chat_template.h"
#include "core/error.h"
#include "engine/generate.h"
#include "sampling/rng.h"
#include "store/go_template.h"
#include "store/parameters.h"
#include "store_cli.h"

namespace hearth::cli {
namespace {

// Set by the SIGINT handler, read by the token loop and the prompt; a signal handler can
// only talk through a lock-free atomic. Lives for the REPL's duration only.
std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_sigint(int) { g_interrupts.fetch_add(1, std::memory_order_relaxed); }

// Installs the handler for the REPL's lifetime; no SA_RESTART, so a blocked read returns EINTR.
class SigintGuard {
 public:
  SigintGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, &old_);
  }
  ~SigintGuard() { sigaction(SIGINT, &old_, nullptr); }

 private:
  struct sigaction old_ {};
};

enum class ReadStatus { Line, Interrupted, End };

class LineReader {
 public:
  LineReader() : tty_(isatty(fileno(stdin)) && isatty(fileno(stdout))) {
    if (tty_) {
      rl_catch_signals = 0;  // our handler sees Ctrl-C
      using_history();
    }
  }

  bool tty() const { return tty_; }

  ReadStatus read(const char* prompt, std::string& line) {
    if (tty_) {
      g_interrupts.store(0);
      char* s = readline(prompt);
      if (!s) return g_interrupts.exchange(0) ? ReadStatus::Interrupted : ReadStatus::End;
      line = s;
      std::free(s);
      if (g_interrupts.exchange(0)) return ReadStatus::Interrupted;
      return ReadStatus::Line;
    }
    line.clear();
    for (;;) {
      if (g_interrupts.exchange(0) > 0) return ReadStatus::Interrupted;
      const int c = std::fgetc(stdin);
      if (c == EOF) {
        if (std::ferror(stdin) && errno == EINTR) {
          std::clearerr(stdin);
          return ReadStatus::Interrupted;
        }
        return line.empty() ? ReadStatus::End : ReadStatus::Line;
      }
      if (c == '\n') return ReadStatus::Line;
      line += static_cast<char>(c);
    }
  }

  void remember(const std::string& entry) {
    if (tty_ && !entry.empty()) add_history(entry.c_str());
  }

 private:
  bool tty_;
};

const char* kHelp =
    "Available commands:\n"
    "  /set parameter NAME VALUE   set a parameter (temperature, top_k, top_p, min_p, num_predict, seed, stop, ...)\n"
    "  /set system TEXT            set the system message\n"
    "  /show info|parameters|system|template\n"
    "  /clear                      forget the conversation\n"
    "  /bye                        exit\n"
    "  /?, /help                   this help\n"
    "Use \"\"\" to begin and end a multi-line message.\n";

class Repl {
 public:
  explicit Repl(ReplSetup& s) : s_(s) {
    const auto& m = s_.model->manifest;
    system_ = m.system;
    params_ = m.parameters;
    for (const auto& msg : m.messages) history_.push_back({{"role", msg.role}, {"content", msg.content}});
    if (store::looks_like_go_template(m.template_text)) {
      go_template_ = m.template_text;
      store::render_go_template(go_template_, {});  // syntax errors now, not at the first message
    } else if (!m.template_text.empty()) {
      template_.emplace(m.template_text, bos_text(), eos_text(), "TEMPLATE of " + s_.model->display_name);
    } else if (chat::ChatTemplate::gguf_has_template(*s_.file)) {
      template_.emplace(chat::ChatTemplate::from_gguf(*s_.file));
    }
  }

  int run() {
    SigintGuard guard;
    LineReader reader;
    if (reader.tty())
      std::printf("%s — type /? for help, /bye or Ctrl-D to exit%s\n", s_.model->display_name.c_str(),
                  has_template() ? "" : " (no chat template: each message is completed as plain text)");
    std::string pending;  // a """ block being collected
    bool in_block = false;
    bool interrupted_at_prompt = false;
    for (;;) {
      std::string line;
      const ReadStatus st = reader.read(in_block ? "... " : ">>> ", line);
      if (st == ReadStatus::End) {
        if (reader.tty()) std::printf("\n");
        return 0;
      }
      if (st == ReadStatus::Interrupted) {
        if (interrupted_at_prompt) return 0;
        interrupted_at_prompt = true;
        in_block = false;
        pending.clear();
        std::fprintf(stderr, "\n(press Ctrl-C again, Ctrl-D or type /bye to exit)\n");
        continue;
      }
      interrupted_at_prompt = false;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (in_block) {
        const auto end = line.find(R"(""")");
        if (end == std::string::npos) {
          pending += line + "\n";
          continue;
        }
        pending += line.substr(0, end);
        in_block = false;
        reader.remember(pending);
        if (!chat(pending)) return 0;
        pending.clear();
        continue;
      }
      if (line.rfind(R"(""")", 0) == 0) {
        std::string rest = line.substr(3);
        if (const auto end = rest.find(R"(""")"); end != std::string::npos) {
          rest.resize(end);
          reader.remember(rest);
          if (!chat(rest)) return 0;
          continue;
        }
        in_block = true;
        pending = rest.empty() ? "" : rest + "\n";
        continue;
      }
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      reader.remember(line);
      if (line[0] == '/') {
        if (!command(line)) return 0;
        continue;
      }
      if (!chat(line)) return 0;
    }
  }

 private:
  std::string bos_text() const {
    const int32_t id = s_.tok->bos();
    return id >= 0 ? s_.tok->token_text(id) : "";
  }
  std::string eos_text() const {
    const int32_t id = s_.tok->eos();
    return id >= 0 ? s_.tok->token_text(id) : "";
  }

  // The rest of `line` after its first n space-separated words (inner spaces kept).
  static std::string text_after_words(const std::string& line, int n) {
    size_t i = 0;
    for (int w = 0; w < n; ++w) {
      while (i < line.size() && line[i] == ' ') ++i;
      while (i < line.size() && line[i] != ' ') ++i;
    }
    while (i < line.size() && line[i] == ' ') ++i;
    return line.substr(i);
  }

  // Returns false to exit.
  bool command(const std::string& line) {
    std::vector<std::string> words;
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && line[i] == ' ') ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ') ++j;
      if (j > i) words.push_back(line.substr(i, j - i));
      i = j;
    }
    const std::string& cmd = words[0];
    try {
      if (cmd == "/bye" || cmd == "/exit") return false;
      if (cmd == "/?" || cmd == "/help") {
        std::fputs(kHelp, stdout);
      } else if (cmd == "/clear") {
        history_.clear();
        std::printf("Cleared session context\n");
      } else if (cmd == "/set" && words.size() >= 2 && words[1] == "system") {
        system_ = text_after_words(line, 2);
        std::printf("Set system message.\n");
      } else if (cmd == "/set" && words.size() >= 2 && words[1] == "parameter") {
        if (words.size() < 4) fail("usage: /set parameter NAME VALUE");
        const std::string value = text_after_words(line, 3);
        if (words[2] == "stop") params_.erase("stop");
        store::set_parameter(params_, words[2], value);
        if (words[2] == "num_ctx") std::printf("(num_ctx applies when the model is loaded; restart to change it)\n");
        std::printf("Set parameter '%s' to '%s'\n", words[2].c_str(), value.c_str());
      } else if (cmd == "/set") {
        fail("usage: /set parameter NAME VALUE | /set system TEXT");
      } else if (cmd == "/show" && words.size() >= 2) {
        show(words[1]);
      } else {
        fail("unknown command '{}' (type /? for help)", cmd);
      }
    } catch (const Error& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
    }
    std::fflush(stdout);
    return true;
  }

  void show(const std::string& what) {
    const auto& m = s_.model->manifest;
    if (what == "info") {
      std::printf("  model          %s\n", s_.model->display_name.c_str());
      std::printf("  architecture   %s\n", s_.ctx->model().hparams().arch.c_str());
      std::printf("  context length %lld\n", static_cast<long long>(s_.ctx->n_ctx()));
      std::printf("  vocabulary     %d tokens\n", s_.tok->n_vocab());
      std::printf("  quantization   %s\n", quantization_label(*s_.file).c_str());
      if (!m.model_digest.empty()) std::printf("  digest         sha256:%s\n", m.model_digest.c_str());
      std::printf("  chat template  %s\n",
                  has_template() ? (m.template_text.empty() ? "from GGUF" : "from TEMPLATE") : "none");
    } else if (what == "parameters") {
      std::printf("%s\n", params_.empty() ? "no parameters set" : params_.dump(2).c_str());
    } else if (what == "system") {
      std::printf("%s\n", system_.empty() ? "no system message" : system_.c_str());
    } else if (what == "template") {
      std::printf("%s\n", !go_template_.empty() ? go_template_.c_str()
                           : template_      ? template_->source().c_str()
                                            : "no chat template");
    } else {
      fail("/show {}: expected info, parameters, system or template", what);
    }
  }

  // Ollama's rules: a template that ranges over .Messages sees the whole conversation; an
  // older .Prompt/.Response one is rendered once per past turn and once for the new message.
  std::string render_go(const std::string& user) {
    store::GoTemplateInput in;
    in.system = system_;
    if (!system_.empty()) in.messages.push_back({"system", system_});
    for (const auto& m : history_) in.messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    in.messages.push_back({"user", user});
    in.prompt = user;
    if (go_template_.find(".Messages") != std::string::npos) return store::render_go_template(go_template_, in);
    std::string out;
    for (size_t k = 0; k + 1 < history_.size(); k += 2) {
      store::GoTemplateInput turn;
      turn.system = k == 0 ? system_ : "";
      turn.prompt = history_[k]["content"].get<std::string>();
      turn.response = history_[k + 1]["content"].get<std::string>();
      out += store::render_go_template(go_template_, turn);
    }
    store::GoTemplateInput last;
    last.system = history_.empty() ? system_ : "";
    last.prompt = user;
    return out + store::render_go_template(go_template_, last);
  }

  bool has_template() const { return template_ || !go_template_.empty(); }

  std::string render_prompt(const std::string& user) {
    if (!go_template_.empty()) return render_go(user);
    if (!template_) return system_.empty() ? user : system_ + "\n\n" + user;
    chat::ChatRenderInput in;
    if (!system_.empty()) in.messages.push_back({{"role", "system"}, {"content", system_}});
    for (const auto& m : history_) in.messages.push_back(m);
    in.messages.push_back({{"role", "user"}, {"content", user}});
    in.add_generation_prompt = true;
    return template_->render(in);
  }

  // Returns false to exit (never, today: errors are reported and the REPL goes on).
  bool chat(const std::string& user) {
    GenerationSettings g = s_.settings;
    try {
      apply_model_parameters(params_, g, [](const char*) { return false; });
      engine::GenerateRequest req;
      req.prompt = render_prompt(user);
      req.max_tokens = g.n_predict;
      req.sampler = g.sampler;
      if (g.seed == "-1") {
        req.sampler.seed = sampling::random_seed();
      } else {
        uint64_t seed = 0;
        std::from_chars(g.seed.data(), g.seed.data() + g.seed.size(), seed);
        req.sampler.seed = seed;
      }
      req.sampler.validate();
      req.stop = g.stop;
      if (!go_template_.empty()) req.parse_special = true;
      if (template_) {
        // The template already wrote BOS where the model wants one.
        req.parse_special = true;
        if (!template_->bos_token().empty() && req.prompt.rfind(template_->bos_token(), 0) == 0) req.add_bos = false;
      }
      std::string answer;
      g_interrupts.store(0);
      auto res = engine::generate(*s_.ctx, *s_.tok, req, [&](std::string_view text) {
        if (g_interrupts.load(std::memory_order_relaxed)) return false;
        answer.append(text);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return true;
      });
      std::printf("\n");
      if (res.stop == engine::StopReason::Cancelled && g_interrupts.load()) std::fprintf(stderr, "[interrupted]\n");
      std::printf("\n");
      std::fflush(stdout);
      if (s_.verbose)
        std::fprintf(stderr, "[%lld prompt tokens, %lld generated, %.1f tokens/s]\n",
                     static_cast<long long>(res.n_prompt), static_cast<long long>(res.n_generated),
                     res.n_generated / std::max(res.generate_seconds, 1e-9));
      if (has_template()) {
        history_.push_back({{"role", "user"}, {"content", user}});
        history_.push_back({{"role", "assistant"}, {"content", answer}});
      }
    } catch (const Error& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
    }
    g_interrupts.store(0);
    return true;
  }

  ReplSetup& s_;
  std::string system_;
  nlohmann::ordered_json params_;
  std::vector<nlohmann::ordered_json> history_;
  std::optional<chat::ChatTemplate> template_;  // Jinja: the GGUF's or a TEMPLATE in Jinja
  std::string go_template_;                     // an Ollama (Go) TEMPLATE
};

}  // namespace

int run_repl(ReplSetup& setup) {
  Repl repl(setup);
  return repl.run();
}

}  // namespace hearth::cli
