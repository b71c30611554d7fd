#!/bin/bash
# The portable build (`make portable-check`): it needs nothing but glibc's own libraries, says in --version what
# it leaves out, and runs: the quick-mode wrapper with a child, `convert`, `check` of a config with TLS.
#   portable_test.sh BINARY
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# glibc's libraries (Debian's libc6) and the kernel's vDSO; libstdc++ and libgcc_s are linked statically.
ldd "$bin" | tee "$tmp/ldd"
while read -r lib _; do
  case $lib in
    linux-vdso.so.*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|/lib64/ld-linux-x86-64.so.*) ;;
    *) fail "the portable binary needs $lib" ;;
  esac
done < "$tmp/ldd"
grep -q 'not a dynamic executable' "$tmp/ldd" && fail "expected a dynamic executable (glibc's NSS needs it)"

"$bin" --version | tee "$tmp/version"
grep -q '^sluice [0-9]' "$tmp/version" || fail "--version"
grep -q 'without the journald source' "$tmp/version" || fail "--version does not say what is left out"
"$bin" --help-plugin journald > /dev/null 2>&1 && fail "journald should not be in the portable build"
"$bin" --help-plugin logplex_https > /dev/null || fail "logplex_https is missing"

# The wrapper: the child's status comes back; nothing to deliver, so no drain is needed.
set +e
"$bin" --api '' --drain https://token:x@127.0.0.1:9/logs -- sh -c 'exit 3'
status=$?
set -e
[[ $status -eq 3 ]] || fail "the wrapper exited $status, not the child's 3"

echo '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326' |
  "$bin" convert --from clf --to json | grep -q '"sC":200' || fail "convert"

cat > "$tmp/tls.yaml" <<YAML
sources:
  - name: app
    type: stdin
sinks:
  - name: drain
    type: logplex_https
    url: https://token:x@logs.example.com/logs
  - name: syslog
    type: syslog
    url: tls://logs.example.com:6514
YAML
"$bin" check --config "$tmp/tls.yaml" || fail "check"
echo "$failures failures"
[[ $failures -eq 0 ]]
