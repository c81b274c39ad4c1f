#include "model/model.h"

#include <fmt/format.h>

#include <cstdlib>
#include <string_view>

#include "core/cpu_features.h"
#include "core/error.h"

namespace hearth::model {

namespace {

bool repack_disabled_by_env() {
  const char* v = std::getenv("HEARTH_NO_REPACK");
  return v && *v && std::string_view(v) != "0";
}

}  // namespace

Model::Model(gguf::File file, const LoadOptions& options) : file_(std::move(file)) {
  const auto arch_name = file_.get_optional<std::string>("general.architecture");
  if (!arch_name) fail("{}: missing metadata key 'general.architecture'", file_.name());
  arch_ = find_arch(*arch_name);
  if (!arch_) {
    fail("{}: unknown architecture '{}' (supported: {})", file_.name(), *arch_name,
         fmt::join(supported_archs(), ", "));
  }
  hp_ = read_hparams(file_, *arch_);
  weights_ = load_weights(file_, *arch_, hp_);
  if (options.repack && !repack_disabled_by_env())
    packed_matrices_ = repack_weights(weights_, kernels::kernel_table(kernels::best_isa(detect_cpu_features())),
                                      file_.is_mapped());
}

std::shared_ptr<const Model> Model::load(const std::filesystem::path& path, const LoadOptions& options) {
  return from_file(gguf::File::open(path), options);
}

std::shared_ptr<const Model> Model::from_file(gguf::File file, const LoadOptions& options) {
  return std::shared_ptr<const Model>(new Model(std::move(file), options));
}

}  // namespace hearth::model
