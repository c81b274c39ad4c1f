#!/usr/bin/env bash
# Runs the GGUF reader fuzzer for N seconds.
#   usage: scripts/fuzz.sh BUILD/bin/fuzz_gguf_reader [SECONDS]
# Seeds: the shared fixtures (cut to 64 KiB: headers are what matter) and the small complete
# files in tests/fuzz/seeds. New inputs accumulate in BUILD/fuzz-corpus; crash, leak, timeout
# and OOM inputs are kept in BUILD/fuzz-artifacts, with the full log in BUILD/fuzz-artifacts/fuzz.log.
# Exit status 0 only when libFuzzer ran to the time limit and reported nothing; 1 otherwise
# (a finding, a sanitizer report, or a fuzzer that did not run).
set -euo pipefail
bin=${1:?usage: fuzz.sh FUZZER [SECONDS]}
seconds=${2:-60}
shared=${HEARTH_SHARED:-../shared}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "$(dirname "$bin")/.." && pwd)
[ -x "$bin" ] || { echo "fuzz: $bin is not an executable" >&2; exit 1; }

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
for f in "$shared"/models/*.gguf "$shared"/tokenizer/*.gguf; do
  [ -f "$f" ] && head -c 65536 "$f" > "$seeds/$(basename "$f")"
done
cp "$root"/tests/fuzz/seeds/*.gguf "$seeds"/ 2>/dev/null || true
corpus=${FUZZ_CORPUS:-$build/fuzz-corpus}
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
mkdir -p "$corpus" "$artifacts"
log=$artifacts/fuzz.log
echo "fuzz: $(ls "$seeds" | wc -l) seeds, $(ls "$corpus" | wc -l) corpus inputs, ${seconds}s"

# UBSan reports are fatal (the fuzz build compiles them as recoverable); leaks are checked.
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

# Run with the status captured directly (no pipe: a pipeline's status would be grep's, or
# with pipefail the '|| true' meant for grep would swallow the fuzzer's failure).
status=0
"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
  -dict="$root/tests/fuzz/gguf.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$corpus" "$seeds" >"$log" 2>&1 || status=$?

grep -E "^(INFO: seed|#[0-9]+[[:space:]]+(INITED|DONE)|Done [0-9]+ runs|stat::(number_of_executed_units|peak_rss_mb|new_units_added))" \
  "$log" || true
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
ran=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
# A finding either makes libFuzzer exit non-zero or, for reports that do not stop it, shows
# up in the log: treat both as failures.
findings=$(grep -cE "^==[0-9]+==(ERROR| ERROR)|runtime error:|^SUMMARY: |ERROR: libFuzzer" "$log" || true)
if [ "$status" -ne 0 ] || [ "${findings:-0}" -ne 0 ] || [ -z "$ran" ]; then
  first=$(grep -nE "^==[0-9]+==(ERROR| ERROR)|runtime error:|ERROR: libFuzzer" "$log" | head -n 1 | cut -d: -f1)
  if [ -n "$first" ]; then
    echo "fuzz: FAILED (exit $status); the first report, from $log:"
    sed -n "${first},$((first + 45))p" "$log"
  else
    echo "fuzz: FAILED (exit $status, the run did not finish); last lines of $log:"
    tail -n 40 "$log"
  fi
  ls "$artifacts" | grep -vx fuzz.log | sed "s|^|fuzz: artifact $artifacts/|" || true
  echo "fuzz: reproduce with: $bin $artifacts/<artifact>"
  exit 1
fi
echo "fuzz: 0 crashes, ${execs:-?} execs in ${ran}s"
