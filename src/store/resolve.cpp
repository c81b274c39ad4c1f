#include "store/resolve.h"

#include "core/error.h"
#include "store/signing.h"

namespace hearth::store {

namespace fs = std::filesystem;

ResolvedModel resolve_model(std::string_view name_or_path, const Store& store) {
  ResolvedModel r;
  const std::string text(name_or_path);
  if (text.find('\0') == std::string::npos && !text.empty()) {
    std::error_code ec;
    if (fs::is_regular_file(text, ec)) {
      r.path = text;
      r.display_name = text;
      return r;
    }
  }
  const bool looks_like_path = text.ends_with(".gguf") || text.rfind("./", 0) == 0;
  ModelName name;
  try {
    name = parse_model_name(text);
  } catch (const Error& e) {
    if (looks_like_path) fail("{}: no such file", text);
    fail("'{}' is neither a file nor a model in the store: {}", text, e.what());
  }
  auto m = store.find(name);
  if (!m) {
    if (looks_like_path) fail("{}: no such file, and no model of that name in {}", text, store.home().string());
    fail("model '{}' not found in {} (hearth list shows the models there; hearth pull or hearth import adds one)",
         name.display(), store.home().string());
  }
  r.path = store.blob_path(m->model_digest);
  if (!fs::exists(r.path)) fail("model '{}': its blob {} is missing from the store", name.display(), r.path.string());
  r.display_name = name.display();
  r.name = name;
  r.manifest = std::move(*m);
  return r;
}

void check_signature_policy(const Store& store, const ResolvedModel& model,
                            const std::optional<fs::path>& trusted_keys_dir) {
  if (!model.from_store())
    fail("--require-signed: {} is a plain file, not a signed store model (hearth import it, then hearth sign)",
         model.display_name);
  const VerifyResult v = verify_model(store, *model.name, trusted_keys_dir);
  if (!v.ok) fail("--require-signed: refusing to load: {}", v.reason);
}

}  // namespace hearth::store
