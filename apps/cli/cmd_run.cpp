// hearth run MODEL -p TEXT: stream a completion to stdout (the prompt is not echoed), with
// the sampler chain, grammar/JSON constraints, stop strings and per-token probabilities.
// MODEL is a GGUF file or a store name; without -p, an interactive chat (repl.h) opens.
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "engine/generate.h"
#include "model_params.h"
#include "repl.h"
#include "sampling/grammar/compiled.h"
#include "sampling/grammar/json_schema.h"
#include "sampling/rng.h"
#include "store_cli.h"
#include "token_display.h"

namespace hearth::cli {
namespace {

struct RunArgs {
  std::string model;
  std::string prompt;
  int64_t n_predict = 128;
  sampling::SamplerParams sp;
  std::string seed = "-1";
  std::vector<std::string> logit_bias;
  std::string samplers;
  std::string grammar_file;
  bool json = false;
  std::string json_schema;
  std::vector<std::string> stop;
  int probs = -1;
  std::string color = "off";
  bool verbose = false;
  bool special = false;
  ContextFlags ctx;
  bool require_signed = false;
  std::string trusted_keys;
  CLI::App* sub = nullptr;  // to tell which flags were given (they win over model parameters)
};

std::string read_text(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read {} '{}'", what, path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "ID=BIAS" (also llama.cpp's "ID+BIAS" / "ID-BIAS"); BIAS is a number, inf or -inf.
sampling::LogitBias parse_logit_bias(const std::string& item, int32_t n_vocab) {
  size_t i = 0;
  while (i < item.size() && item[i] >= '0' && item[i] <= '9') ++i;
  if (i == 0 || i >= item.size() || (item[i] != '=' && item[i] != '+' && item[i] != '-'))
    fail("--logit-bias '{}': expected ID=BIAS, e.g. 15043=-1.5 or 2=-inf", item);
  const std::string value = item[i] == '=' ? item.substr(i + 1) : item.substr(i);
  char* end = nullptr;
  const float bias = std::strtof(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || std::isnan(bias))
    fail("--logit-bias '{}': '{}' is not a number (use inf or -inf to force or ban)", item, value);
  const long id = std::strtol(item.substr(0, i).c_str(), nullptr, 10);
  if (id >= n_vocab) fail("--logit-bias '{}': token {} is beyond the vocabulary ({} tokens)", item, id, n_vocab);
  // +inf "forces" a token: a large finite bias keeps the arithmetic defined.
  return {static_cast<int32_t>(id), bias == INFINITY ? 1e9f : bias};
}

uint64_t parse_seed(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    fail("--seed '{}': expected -1 (draw one) or a number from 0 to 18446744073709551615", s);
  return v;
}

std::string grammar_text(const RunArgs& a) {
  if (!a.grammar_file.empty()) {
    const std::string text = read_text(a.grammar_file, "grammar file");
    try {
      sampling::grammar::CompiledGrammar::from_gbnf(text);
    } catch (const Error& e) {
      fail("{}: {}", a.grammar_file, e.what());
    }
    return text;
  }
  if (a.json) return sampling::grammar::any_json_gbnf();
  if (!a.json_schema.empty()) {
    try {
      return sampling::grammar::json_schema_to_gbnf(std::string_view(read_text(a.json_schema, "JSON schema file")));
    } catch (const Error& e) {
      fail("{}: {}", a.json_schema, e.what());
    }
  }
  return "";
}

int run_run(RunArgs& a) {
  const auto resolved = resolve_cli_model(a.model);
  if (a.require_signed) {
    std::optional<std::filesystem::path> trusted;
    if (!a.trusted_keys.empty()) trusted = a.trusted_keys;
    store::check_signature_policy(store::Store::open_default(), resolved, trusted);
  }
  GenerationSettings g{a.sp, a.n_predict, a.ctx.ctx_size, a.ctx.threads, a.seed, a.stop};
  apply_model_parameters(resolved.manifest.parameters, g, [&](const char* flag) { return a.sub->count(flag) > 0; });
  a.sp = g.sampler;
  a.n_predict = g.n_predict;
  a.ctx.ctx_size = g.n_ctx;
  a.ctx.threads = g.threads;
  a.seed = g.seed;
  a.stop = g.stop;
  const bool interactive = a.sub->count("--prompt") == 0;

  // Everything that can be checked without the model first.
  if (!a.samplers.empty()) a.sp.steps = sampling::parse_steps(a.samplers);
  a.sp.grammar = grammar_text(a);
  const bool drawn = a.seed == "-1";
  a.sp.seed = drawn ? sampling::random_seed() : parse_seed(a.seed);
  a.sp.validate();

  auto model = model::Model::load(resolved.path);
  auto tok = tokenizer::Tokenizer::from_gguf(model->file());
  for (const auto& item : a.logit_bias) a.sp.logit_bias.push_back(parse_logit_bias(item, tok.n_vocab()));
  engine::Context ctx(model, a.ctx.options());
  if (interactive) {
    ReplSetup repl{&ctx, &tok, &model->file(), &resolved, g, a.verbose};
    repl.settings.sampler = a.sp;
    return run_repl(repl);
  }
  engine::GenerateRequest req;
  req.prompt = a.prompt;
  req.max_tokens = a.n_predict;
  req.parse_special = a.special;
  req.sampler = a.sp;
  req.stop = a.stop;
  const bool colour = a.color == "confidence" && isatty(fileno(stdout));
  req.probs = a.probs >= 0 || colour;
  req.n_probs = a.probs > 0 ? static_cast<size_t>(a.probs) : 0;

  std::vector<engine::GeneratedToken> tokens;
  engine::GenerateCallbacks cb;
  cb.on_token = [&](const engine::GeneratedToken& t) {
    tokens.push_back(t);
    return true;
  };
  cb.on_text = [&](std::string_view text, int64_t token) {
    if (colour && token >= 0 && static_cast<size_t>(token) < tokens.size()) {
      std::fputs(confidence_colour(tokens[static_cast<size_t>(token)].probs.p_model), stdout);
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fputs(kColourReset, stdout);
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
    }
    std::fflush(stdout);
    return true;
  };
  // Reported so a run can be repeated; greedy decoding does not use it.
  if (drawn && a.sp.temperature > 0.0f) std::fprintf(stderr, "seed: %llu\n", static_cast<unsigned long long>(a.sp.seed));
  auto res = engine::generate(ctx, tok, req, cb);
  if (a.probs >= 0) {
    // The end-of-generation token that stopped the run is shown too: it was sampled.
    print_probs(stderr, tok, tokens);
  }
  if (a.verbose) {
    std::fprintf(stderr, "\n[seed %llu | %s kernels, %d threads | samplers %s%s]\n",
                 static_cast<unsigned long long>(a.sp.seed), std::string(kernels::isa_name(ctx.isa())).c_str(),
                 ctx.threads(), sampling::format_steps(a.sp.steps).c_str(), a.sp.grammar.empty() ? "" : " + grammar");
    std::fprintf(stderr, "prompt:     %5lld tokens in %8.2f ms (%8.2f tokens/s)\n", static_cast<long long>(res.n_prompt),
                 res.prompt_seconds * 1e3, res.n_prompt / std::max(res.prompt_seconds, 1e-9));
    std::fprintf(stderr, "generation: %5lld tokens in %8.2f ms (%8.2f tokens/s), stop: %s\n",
                 static_cast<long long>(res.n_generated), res.generate_seconds * 1e3,
                 res.n_generated / std::max(res.generate_seconds, 1e-9),
                 std::string(engine::stop_reason_name(res.stop)).c_str());
  }
  return 0;
}

}  // namespace

void register_run(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Generate a completion for a prompt, streamed to stdout");
  auto a = std::make_shared<RunArgs>();
  auto& sp = a->sp;
  a->sub = sub;
  sub->add_option("model", a->model, "GGUF model file or store name (hearth list)")->required();
  sub->add_option("-p,--prompt", a->prompt, "Prompt text (not echoed); without it, an interactive chat opens");
  sub->add_option("-n,--n-predict", a->n_predict, "Tokens to generate (-1: until end of text or full context)")
      ->capture_default_str();

  const char* kS = "Sampling";
  sub->add_option("--temp", sp.temperature, "Temperature; 0 = greedy")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(kS);
  sub->add_option("--top-k", sp.top_k, "Keep the k most likely tokens (0: off)")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(kS);
  sub->add_option("--top-p", sp.top_p, "Nucleus: smallest set with this much probability (1: off)")
      ->check(CLI::Range(0.0f, 1.0f))->capture_default_str()->group(kS);
  sub->add_option("--min-p", sp.min_p, "Drop tokens below this fraction of the top token's probability (0: off)")
      ->check(CLI::Range(0.0f, 1.0f))->capture_default_str()->group(kS);
  sub->add_option("--typical-p", sp.typical_p, "Locally typical sampling mass (1: off)")
      ->check(CLI::Range(0.0f, 1.0f))->capture_default_str()->group(kS);
  sub->add_option("--repeat-penalty", sp.repeat_penalty, "Penalty for tokens in the last --repeat-last-n (1: off)")
      ->check(CLI::PositiveNumber)->capture_default_str()->group(kS);
  sub->add_option("--repeat-last-n", sp.repeat_last_n, "Window for the penalties (0: off, -1: whole sequence)")
      ->check(CLI::Range(-1, 1 << 30))->capture_default_str()->group(kS);
  sub->add_option("--presence-penalty", sp.presence_penalty, "Subtracted once from tokens in the window (0: off)")
      ->capture_default_str()->group(kS);
  sub->add_option("--frequency-penalty", sp.frequency_penalty, "Subtracted per occurrence in the window (0: off)")
      ->capture_default_str()->group(kS);
  sub->add_option("--mirostat", sp.mirostat, "Mirostat 1 or 2 instead of top-k/typical/top-p/min-p (0: off)")
      ->check(CLI::IsMember({0, 1, 2}))->capture_default_str()->group(kS);
  sub->add_option("--mirostat-tau", sp.mirostat_tau, "Mirostat target surprise (bits)")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(kS);
  sub->add_option("--mirostat-eta", sp.mirostat_eta, "Mirostat learning rate")
      ->check(CLI::NonNegativeNumber)->capture_default_str()->group(kS);
  sub->add_option("--seed", a->seed, "Random seed; -1 draws one and prints it to stderr")
      ->capture_default_str()->group(kS);
  sub->add_option("--logit-bias", a->logit_bias, "ID=BIAS added to a token's logit, repeatable (BIAS -inf bans)")
      ->group(kS);
  sub->add_option("--samplers", a->samplers,
                  "Order of the steps between logit bias/grammar and the draw, ';'-separated "
                  "(default: penalties;top_k;typical_p;top_p;min_p;temperature)")
      ->group(kS);

  const char* kC = "Constraints and stopping";
  auto* g = sub->add_option("--grammar-file", a->grammar_file, "Constrain output to a GBNF grammar file")->group(kC);
  auto* j = sub->add_flag("--json", a->json, "Constrain output to any JSON value")->group(kC);
  auto* js = sub->add_option("--json-schema", a->json_schema, "Constrain output to JSON fitting this schema file")
                 ->group(kC);
  g->excludes(j)->excludes(js);
  j->excludes(js);
  sub->add_option("--stop", a->stop, "Stop when this text appears (never printed); repeatable")->group(kC);

  const char* kO = "Output";
  sub->add_option("--probs", a->probs,
                  "After the text, print to stderr each token's probability (after the chain and under the "
                  "model), the entropies, and the N most likely alternatives both ways")
      ->check(CLI::NonNegativeNumber)->group(kO);
  sub->add_option("--color", a->color,
                  "confidence: colour each token by the model's probability for it (green >= 75%, cyan >= 50%, "
                  "yellow >= 25%, magenta >= 10%, red below); only when stdout is a terminal")
      ->check(CLI::IsMember({"off", "confidence"}))->capture_default_str()->group(kO);
  sub->add_flag("--special", a->special, "Parse special tokens (e.g. <|im_start|>) in the prompt");
  sub->add_flag("-v,--verbose", a->verbose, "Print speed (prompt and generation tokens/s) to stderr");
  a->ctx.add_to(sub);
  sub->add_flag("--require-signed", a->require_signed,
                "Refuse a model whose signature is missing or does not verify (hearth sign/verify)");
  sub->add_option("--trusted-keys", a->trusted_keys, "With --require-signed: directory of trusted *.pub keys");
  add_command(app, sub, [a] { return run_run(*a); });
}

}  // namespace hearth::cli
