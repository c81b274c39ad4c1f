#!/usr/bin/env bash
# make bench-server: synthesize a Qwen2.5-0.5B-shape model (random weights, real shapes) into
# build/bench-models, start `hearth serve` on it, and report aggregate tokens/s at 1, 2, 4, 8
# concurrent streams and time to first token with and without a cached 500-token prefix.
set -euo pipefail
hearth=${HEARTH:-./build/bin/hearth}
dir=build/bench-models
shape=${BENCH_SHAPE:-qwen2.5-0.5b}
type=${BENCH_TYPE:-Q4_0}
threads=${BENCH_THREADS:-2}
mkdir -p "$dir"
model="$dir/$shape.$type.gguf"
[ -f "$model" ] || "$hearth" synth --shape "$shape" --type "$type" --seed 1 -o "$model"
log=$(mktemp)
out=$(mktemp)
"$hearth" serve "$model" --port 0 --parallel 8 --ctx-size 2048 -t "$threads" -q >"$out" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$out" && break
  sleep 0.1
done
port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$out")
[ -n "$port" ] || { cat "$log" >&2; exit 1; }
echo "hearth serve: $model, --parallel 8, $threads threads, port $port"
node scripts/bench_server.mjs --base "http://127.0.0.1:$port" --model "$(basename "$model" .gguf)" --tokens "${BENCH_TOKENS:-32}"
