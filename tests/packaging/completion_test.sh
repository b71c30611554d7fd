#!/bin/bash
# The bash completion that `sluice --completion bash` writes (and the package installs), loaded into bash and
# asked as bash asks it: COMP_WORDS and COMP_CWORD set, the function called, COMPREPLY read.
#   completion_test.sh BINARY
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --completion bash > "$tmp/sluice"
bash -n "$tmp/sluice"

failures=0
# expect "WORDS TYPED (the last one being completed)" "EXPECTED COMPREPLY, sorted, space-separated"
expect() {
  local got
  got=$(bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
    _sluice sluice "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$tmp/sluice" $1)
  got=${got% }
  if [[ $got == "$2" ]]; then echo "ok: '$1' -> '$got'"; else echo "FAIL: '$1' -> '$got', expected '$2'"; failures=$((failures + 1)); fi
}
expect "sluice ch" "check"
expect "sluice --help-plugin sys" "syslog"
expect "sluice --help-plugin l" "logplex logplex_https"
expect "sluice --help-plugin ka" "kafka"
expect "sluice --lo" "--log-level"
expect "sluice --log-level e" "error"
expect "sluice check --sh" "--show"
expect "sluice logs -F j" "json"
expect "sluice logs --fo" "--follow --format"
expect "sluice --config check --sh" "--show --shutdown-timeout"  # a file named check is no subcommand
expect "sluice convert --from c" "clf"
expect "sluice --buffer o" "overflow"
expect "sluice --drain x" ""
expect "sluice --drain URL -- _slu" "_sluice"  # a command: the function itself is one
# The hidden packaging flags are not offered.
expect "sluice --ma" ""
expect "sluice --comp" ""
[[ $failures -eq 0 ]]
