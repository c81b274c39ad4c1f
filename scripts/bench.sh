#!/usr/bin/env bash
# make bench: synthesize TinyLlama-1.1B-shape models (random weights, real tokenizer) in the
# issue's four types, then run hearth bench on each (one process per model so peak RSS is
# per model). Models are cached in build/bench-models.
set -euo pipefail
hearth=./build/bin/hearth
dir=build/bench-models
mkdir -p "$dir"
threads=${BENCH_THREADS:-2}
reps=${BENCH_REPS:-5}
types=${BENCH_TYPES:-"Q4_K_M Q4_0 Q8_0 F16"}
for t in $types; do
  f="$dir/tinyllama-1.1b.$t.gguf"
  [ -f "$f" ] || "$hearth" synth --shape tinyllama-1.1b --type "$t" --seed 1 -o "$f"
done
"$hearth" bench --bandwidth -p 0 -n 0 -t "$threads" 2>/dev/null | head -1 || true
for t in $types; do
  "$hearth" bench -m "$dir/tinyllama-1.1b.$t.gguf" -p 512 -n 128 -t "$threads" -r "$reps"
done
echo "llama.cpp reference (same machine class, llama-bench -t 2): Q4_K_M pp512 112 tg128 54.0 | Q4_0 122 / 48.7 | Q8_0 104 / 24.1 | F16 90.3 / 16.9"
if [ -x build/bin/hearth_microbench ]; then
  build/bin/hearth_microbench --benchmark_filter='Sampling' --benchmark_min_time=0.2 2>/dev/null || true
fi
