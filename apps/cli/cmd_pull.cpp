// hearth pull REF [--name NAME:TAG]: download a GGUF into the store (resumable, sha256-checked).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "commands.h"
#include "core/error.h"
#include "store/pull.h"
#include "store_cli.h"

namespace hearth::cli {
namespace {

// Progress on stderr: a redrawn bar on a terminal, a plain line every 10% (or 5 s) otherwise.
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(isatty(fileno(stderr))) {}

  void update(const store::PullProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    const bool done = p.total > 0 && p.done >= p.total;
    const int decile = p.total ? static_cast<int>(10 * p.done / p.total) : 0;
    if (tty_ ? (since < 0.1 && !done) : (decile == last_decile_ && since < 5 && !done)) return;
    last_ = now;
    last_decile_ = decile;
    const double moved = static_cast<double>(p.done - p.resumed_from);
    const double rate = p.seconds > 0 ? moved / p.seconds : 0;
    std::string eta = "--";
    if (p.total && rate > 0) {
      const auto s = static_cast<long long>((p.total - p.done) / rate);
      eta = fmt::format("{}:{:02}", s / 60, s % 60);
    }
    const std::string amount =
        p.total ? fmt::format("{}/{}", human_size(p.done), human_size(p.total)) : human_size(p.done);
    if (tty_) {
      constexpr int kWidth = 30;
      const int fill = p.total ? static_cast<int>(kWidth * p.done / p.total) : 0;
      std::fprintf(stderr, "\rpulling [%s%s] %3d%% %s %s/s ETA %s\033[K", std::string(fill, '#').c_str(),
                   std::string(kWidth - fill, ' ').c_str(), p.total ? static_cast<int>(100 * p.done / p.total) : 0,
                   amount.c_str(), human_size(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
      drew_ = true;
    } else {
      std::fprintf(stderr, "pulling %s (%d%%) %s/s ETA %s\n", amount.c_str(),
                   p.total ? static_cast<int>(100 * p.done / p.total) : 0,
                   human_size(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
    }
    std::fflush(stderr);
  }

  void note(const std::string& text) {
    end_line();
    std::fprintf(stderr, "%s\n", text.c_str());
  }

  void end_line() {
    if (drew_) std::fputc('\n', stderr);
    drew_ = false;
  }

 private:
  bool tty_;
  bool drew_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point last_{};
};

int run_pull(const std::string& ref, const std::string& name_text) {
  std::optional<store::ModelName> name;
  if (!name_text.empty()) name = store::parse_model_name(name_text);  // before any download
  const store::Store s = store::Store::open_default();
  const auto resolved = store::resolve_pull_ref(ref, store::hf_endpoint());
  if (!name) name = store::parse_model_name(resolved.default_name);
  ProgressPrinter progress;
  store::PullOptions opt;
  opt.on_progress = [&](const store::PullProgress& p) { progress.update(p); };
  opt.on_note = [&](const std::string& t) { progress.note(t); };
  std::fprintf(stderr, "pulling %s\n", resolved.url.c_str());
  store::PullResult r;
  try {
    r = store::pull_blob(s, resolved.url, opt);
  } catch (...) {
    progress.end_line();
    throw;
  }
  progress.end_line();
  if (!r.digest_stated) std::fprintf(stderr, "warning: the server stated no sha256 digest; the download is unchecked\n");
  auto lock = s.lock();
  store::Manifest m;
  try {
    m = manifest_for_blob(s, r.digest, ref);
  } catch (const Error&) {
    s.collect_garbage();  // the blob is not a model: do not keep it
    throw;
  }
  s.put(*name, m);
  s.collect_garbage();
  fmt::print("pulled {} as {} (sha256:{}, {}{})\n", ref, name->display(), r.digest.substr(0, 12), human_size(r.size),
             r.digest_stated ? ", digest verified" : "");
  return 0;
}

}  // namespace

void register_pull(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "pull", "Download a model into the store: hf.co/ORG/REPO[:QUANT], hf.co/ORG/REPO/FILE.gguf or an http(s) URL");
  auto ref = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  sub->add_option("ref", *ref, "What to pull (HEARTH_HF_ENDPOINT overrides https://huggingface.co)")->required();
  sub->add_option("--name", *name, "Store name NAME[:TAG] (default: from the file or repository name)");
  add_command(app, sub, [=] { return run_pull(*ref, *name); });
}

}  // namespace hearth::cli
