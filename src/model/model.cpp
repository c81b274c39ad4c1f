#include "model/model.h"

#include <fmt/format.h>

#include "core/error.h"

namespace hearth::model {

Model::Model(gguf::File file) : file_(std::move(file)) {
  const auto arch_name = file_.get_optional<std::string>("general.architecture");
  if (!arch_name) fail("{}: missing metadata key 'general.architecture'", file_.name());
  arch_ = find_arch(*arch_name);
  if (!arch_) {
    fail("{}: unknown architecture '{}' (supported: {})", file_.name(), *arch_name,
         fmt::join(supported_archs(), ", "));
  }
  hp_ = read_hparams(file_, *arch_);
  weights_ = load_weights(file_, *arch_, hp_);
}

std::shared_ptr<const Model> Model::load(const std::filesystem::path& path) {
  return from_file(gguf::File::open(path));
}

std::shared_ptr<const Model> Model::from_file(gguf::File file) {
  return std::shared_ptr<const Model>(new Model(std::move(file)));
}

}  // namespace hearth::model
