#!/bin/bash
# Every declared key (agent, api, and every sink and source type's table as --help-plugin prints it) appears in
# sluice.yaml(5) and, as `key`, in README.md; every type has its section in the page, and sluice(1) has the usage.
#   man_keys_test.sh BINARY SOURCE_DIR
set -euo pipefail
bin=$1
readme=$2/README.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The page as text a reader searches: roff's escaped hyphens and backslashes undone.
"$bin" --man 5 | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' > "$tmp/man5"
"$bin" --man 1 | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' > "$tmp/man1"

# The types, from the error that lists them.
list=$("$bin" --help-plugin no-such-type 2>&1 || true)
sinks=$(sed -n 's/.*Sinks: \(.*\)\. Sources:.*/\1/p' <<< "$list")
sources=$(sed -n 's/.*Sources: \(.*\)$/\1/p' <<< "$list")
[[ -n $sinks && -n $sources ]] || { echo "no type list in: $list"; exit 1; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

keys() {  # the NAME column of every table --help-plugin prints
  "$bin" --help-plugin "$1" | awk '/^  NAME /{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1}'
}
checkKey() {  # WHERE KEY
  grep -qE "^\.B $2\$" "$tmp/man5" || fail "$1: key '$2' is not in sluice.yaml(5)"
  grep -qF -- "\`$2\`" "$readme" || fail "$1: key '$2' is not in README.md as \`$2\`"
}

count=0
for t in $sinks $sources; do
  grep -qE "^\.SS (Sink|Source) type $t\$" "$tmp/man5" || fail "type $t has no section in sluice.yaml(5)"
  grep -qE "^\.B $t\$" "$tmp/man1" || fail "type $t is not listed in sluice(1)"
  for k in $(keys "$t"); do checkKey "$t" "$k"; count=$((count + 1)); done
done

# agent: and api: from `check --show` of a minimal config: the leaves, dotted (retention.time).
printf 'sources:\n  - name: a\n    type: stdin\nsinks:\n  - name: o\n    type: stdout\n' > "$tmp/min.yaml"
"$bin" check --config "$tmp/min.yaml" --show | awk '
  /^[a-z]/ { sec = ($1 == "agent:" || $1 == "api:"); next }
  sec && /^  [a-z_]+:/ { k = $1; sub(":$", "", k); parent = k; if (NF > 1) print k; next }
  sec && /^    [a-z_]+:/ { k = $1; sub(":$", "", k); print parent "." k }' > "$tmp/sections"
[[ $(wc -l < "$tmp/sections") -ge 10 ]] || { echo "too few agent/api keys:"; cat "$tmp/sections"; exit 1; }
while read -r k; do checkKey "agent/api" "$k"; count=$((count + 1)); done < "$tmp/sections"

grep -qF -- "--help-plugin NAME" "$tmp/man1" || fail "sluice(1) lacks the usage text"
"$bin" --man 7 > /dev/null 2>&1 && fail "--man 7 should be refused"
echo "checked $count keys of $(wc -w <<< "$sinks $sources") types; $failures failures"
[[ $failures -eq 0 ]]
