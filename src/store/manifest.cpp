#include "store/manifest.h"

#include "core/error.h"
#include "store/sha256.h"

namespace hearth::store {

using nlohmann::ordered_json;

namespace {
constexpr const char* kSchema = "hearth.manifest.v1";

std::string get_string(const ordered_json& j, const char* key, const std::string& what) {
  if (!j.contains(key)) return "";
  if (!j[key].is_string()) fail("manifest {}: field '{}' must be a string", what, key);
  return j[key].get<std::string>();
}
}  // namespace

ordered_json Manifest::to_json() const {
  ordered_json j;
  j["schema"] = kSchema;
  j["model"] = {{"digest", "sha256:" + model_digest}, {"size", model_size}, {"format", "gguf"}};
  if (!quantization.empty()) j["model"]["quantization"] = quantization;
  if (!architecture.empty()) j["model"]["architecture"] = architecture;
  j["parameters"] = parameters;
  j["template"] = template_text;
  j["system"] = system;
  ordered_json m = ordered_json::array();
  for (const auto& msg : messages) m.push_back({{"role", msg.role}, {"content", msg.content}});
  j["messages"] = m;
  j["license"] = licenses;
  j["source"] = source;
  return j;
}

Manifest Manifest::from_json(const ordered_json& j, const std::string& what) {
  if (!j.is_object()) fail("manifest {}: not a JSON object", what);
  if (get_string(j, "schema", what) != kSchema)
    fail("manifest {}: unknown schema '{}' (expected {})", what, get_string(j, "schema", what), kSchema);
  Manifest m;
  if (!j.contains("model") || !j["model"].is_object()) fail("manifest {}: field 'model' is missing", what);
  const auto& model = j["model"];
  const std::string digest = get_string(model, "digest", what);
  if (digest.rfind("sha256:", 0) != 0 || !is_sha256_hex(digest.substr(7)))
    fail("manifest {}: field 'model.digest' must be sha256:<64 hex digits>, got '{}'", what, digest);
  m.model_digest = digest.substr(7);
  if (!model.contains("size") || !model["size"].is_number_unsigned())
    fail("manifest {}: field 'model.size' must be a byte count", what);
  m.model_size = model["size"].get<uint64_t>();
  m.quantization = get_string(model, "quantization", what);
  m.architecture = get_string(model, "architecture", what);
  if (j.contains("parameters")) {
    if (!j["parameters"].is_object()) fail("manifest {}: field 'parameters' must be an object", what);
    m.parameters = j["parameters"];
  }
  m.template_text = get_string(j, "template", what);
  m.system = get_string(j, "system", what);
  if (j.contains("messages")) {
    if (!j["messages"].is_array()) fail("manifest {}: field 'messages' must be an array", what);
    for (const auto& msg : j["messages"]) {
      if (!msg.is_object()) fail("manifest {}: each message must be an object", what);
      m.messages.push_back({get_string(msg, "role", what), get_string(msg, "content", what)});
    }
  }
  if (j.contains("license")) {
    if (!j["license"].is_array()) fail("manifest {}: field 'license' must be an array", what);
    for (const auto& l : j["license"]) {
      if (!l.is_string()) fail("manifest {}: each license must be a string", what);
      m.licenses.push_back(l.get<std::string>());
    }
  }
  m.source = get_string(j, "source", what);
  return m;
}

std::string Manifest::serialize() const { return to_json().dump(2) + "\n"; }

Manifest Manifest::parse(std::string_view text, const std::string& what) {
  ordered_json j;
  try {
    j = ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("manifest {}: not valid JSON: {}", what, e.what());
  }
  return from_json(j, what);
}

}  // namespace hearth::store
