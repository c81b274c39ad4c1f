#!/usr/bin/env bash
# Runs the GGUF reader fuzzer for N seconds with the shared fixtures as seed corpus.
# Seeds are copied (truncated to 64 KiB: headers are what matter) into a scratch corpus dir.
set -euo pipefail
bin=$1
seconds=${2:-60}
shared=${HEARTH_SHARED:-../shared}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for f in "$shared"/models/*.gguf "$shared"/tokenizer/*.gguf; do
  [ -f "$f" ] && head -c 65536 "$f" > "$corpus/$(basename "$f")"
done
echo "fuzz: $(ls "$corpus" | wc -l) seeds, ${seconds}s"
"$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 "$corpus" 2>&1 \
  | grep -E "^(#[0-9]+ +DONE|stat::|INFO: seed|==[0-9]+==|SUMMARY|ERROR)" || true
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then echo "fuzz: FAILED (exit $status)"; exit 1; fi
echo "fuzz: 0 crashes in ${seconds}s"
