#pragma once
// A loaded model: the mmapped file, its architecture, hyper-parameters and weight views.
// Immutable after load and shared by every sequence and thread.
#include <filesystem>
#include <memory>

#include "gguf/reader.h"
#include "model/arch.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace hearth::model {

struct LoadOptions {
  // Repack matrices into the row-interleaved layouts the best kernels of this CPU prefer
  // (see repack_weights). The environment variable HEARTH_NO_REPACK=1 also turns it off.
  bool repack = true;
};

class Model {
 public:
  // Opens and validates; errors name the file and the key or tensor at fault.
  static std::shared_ptr<const Model> load(const std::filesystem::path& path, const LoadOptions& options = {});
  static std::shared_ptr<const Model> from_file(gguf::File file, const LoadOptions& options = {});

  const gguf::File& file() const { return file_; }
  const ArchSpec& arch() const { return *arch_; }
  const HParams& hparams() const { return hp_; }
  const Weights& weights() const { return weights_; }
  // Number of matrices held in a packed layout.
  int packed_matrices() const { return packed_matrices_; }

 private:
  Model(gguf::File file, const LoadOptions& options);
  gguf::File file_;
  const ArchSpec* arch_ = nullptr;
  HParams hp_;
  Weights weights_;
  int packed_matrices_ = 0;
};

}  // namespace hearth::model
