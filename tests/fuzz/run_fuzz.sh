#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after the other, and prints one line per target:
# executions, executions per second, corpus size, and CRASH with the input's file when one was found.
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]      (what `make fuzz` runs)
# Each target's work corpus is BUILD_DIR/corpus/<target>, seeded from tests/fuzz/corpus/<target> and
# tests/fuzz/regressions/<target>; libFuzzer adds what it finds there, so a second run starts where the first
# stopped. Crash inputs go to BUILD_DIR/crashes/<target>/, libFuzzer's output to BUILD_DIR/logs/<target>.log.
# Options for one target only (a dictionary, -max_len): tests/fuzz/options/<target>.options, flags on one line.
# Exit status: 0 when no target crashed, 1 otherwise.
set -u

build=${1:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < "$build/fuzz_targets.txt"
fi

stat() {  # stat NAME LOG: a value of libFuzzer's -print_final_stats, "?" when it did not get that far
  local v
  v=$(grep -m1 "^stat::$1:" "$2" 2>/dev/null | awk '{print $2}')
  echo "${v:-?}"
}

failed=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz_$t
  if [ ! -x "$bin" ]; then
    echo "fuzz: $t: no binary $bin (is it in SLUICE_FUZZ_TARGETS in tests/CMakeLists.txt?)" >&2
    failed=1
    continue
  fi
  corpus=$build/corpus/$t
  crashes=$build/crashes/$t
  log=$build/logs/$t.log
  mkdir -p "$corpus" "$crashes" "$build/logs"
  for seeds in "$here/corpus/$t" "$here/regressions/$t"; do
    [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null
  done
  extra=()
  if [ -f "$here/options/$t.options" ]; then
    read -r -a extra < <(sed "s#@DIR@#$here#g" "$here/options/$t.options")
  fi
  before=$(ls "$crashes" | wc -l)
  echo "fuzz: $t for ${seconds}s ..." >&2
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" "${extra[@]}" "$corpus" > "$log" 2>&1
  rc=$?
  execs=$(stat number_of_executed_units "$log")
  speed=$(stat average_exec_per_sec "$log")
  files=$(ls "$corpus" | wc -l)
  line=$(printf '%-16s %12s execs %8s exec/s  corpus %6s' "$t" "$execs" "$speed" "$files")
  if [ "$rc" -ne 0 ]; then
    failed=1
    found=$(ls -t "$crashes" | head -1)
    why=$(grep -m1 -E 'invariant broken|^SUMMARY|ERROR: libFuzzer|ERROR: AddressSanitizer|runtime error' "$log")
    if [ "$(ls "$crashes" | wc -l)" -gt "$before" ] && [ -n "$found" ]; then
      line="$line  CRASH $crashes/$found"
    else
      line="$line  FAILED (exit $rc; see $log)"
    fi
    line="$line"$'\n'"                 ${why:-see $log}"
  else
    line="$line  ok"
  fi
  summary+=("$line")
done

echo
echo "fuzz: ${seconds}s per target (logs and crash inputs under $build)"
printf '%s\n' "${summary[@]}"
exit $failed
