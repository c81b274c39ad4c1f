// libFuzzer target: any byte string given to the GGUF reader must either parse or throw
// hearth::Error; a crash, hang, leak or UB report is a bug.
#include <cstddef>
#include <cstdint>

#include "gguf/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto f = hearth::gguf::File::parse({data, size}, "fuzz.gguf");
    // Touch what a loader would touch: every tensor's bytes and every metadata value.
    uint64_t sum = 0;
    for (const auto& t : f.tensors()) {
      if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
    }
    for (const auto& kv : f.metadata()) sum += kv.key.size() + kv.value.type_name().size();
    (void)f.get_int_optional("general.file_type");
    volatile uint64_t sink = sum;
    (void)sink;
  } catch (const hearth::Error&) {
  }
  return 0;
}
