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

class Model {
 public:
  // Opens and validates; errors name the file and the key or tensor at fault.
  static std::shared_ptr<const Model> load(const std::filesystem::path& path);
  static std::shared_ptr<const Model> from_file(gguf::File file);

  const gguf::File& file() const { return file_; }
  const ArchSpec& arch() const { return *arch_; }
  const HParams& hparams() const { return hp_; }
  const Weights& weights() const { return weights_; }

 private:
  explicit Model(gguf::File file);
  gguf::File file_;
  const ArchSpec* arch_ = nullptr;
  HParams hp_;
  Weights weights_;
};

}  // namespace hearth::model
