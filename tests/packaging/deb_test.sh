#!/bin/bash
# `make deb`'s script on a Release binary: the package builds, lintian finds no error in it, its version is
# CMake's project(VERSION) and the binary's, it holds what README "Packages" lists, and the binary it installs runs
# (`--version`, `check` of the shipped config). The package is unpacked with `dpkg -x`, then installed and purged
# with dpkg itself, each into a scratch root: nothing is installed on the machine.
#   deb_test.sh BINARY SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[[ -x $bin ]] || { echo "FAIL: no Release binary at $bin: make test builds it first (make build)"; exit 1; }

deb=$("$src/packaging/build_deb.sh" "$bin" "$tmp/out" | tail -n 1)
echo "built $deb"

cmake_version=$(sed -n 's/^project(sluice VERSION \([^ ]*\) .*/\1/p' "$src/CMakeLists.txt")
[[ -n $cmake_version ]] || { echo "FAIL: no project(VERSION) in CMakeLists.txt"; exit 1; }
deb_version=$(dpkg-deb -f "$deb" Version)
[[ ${deb_version%-*} == "$cmake_version" ]] || { echo "FAIL: package $deb_version, CMake $cmake_version"; exit 1; }
[[ $(basename "$deb") == "sluice_${deb_version}_$(dpkg --print-architecture).deb" ]] || { echo "FAIL: name $deb"; exit 1; }

# Errors and warnings fail (packaging/deb/lintian-overrides says why the one overridden tag is); the infos are
# printed (README "Packages" lists them).
if command -v lintian > /dev/null; then
  lintian --fail-on error,warning --display-info "$deb" || { echo "FAIL: lintian reports errors or warnings"; exit 1; }
else
  echo "FAIL: lintian is not installed (make deps installs it)"; exit 1
fi

dpkg-deb -c "$deb" > "$tmp/contents"
for f in ./usr/bin/sluice ./lib/systemd/system/sluice.service ./usr/lib/sysusers.d/sluice.conf \
         ./usr/lib/tmpfiles.d/sluice.conf ./etc/sluice/sluice.yaml ./usr/share/man/man1/sluice.1.gz \
         ./usr/share/man/man5/sluice.yaml.5.gz ./usr/share/bash-completion/completions/sluice \
         ./usr/share/doc/sluice/README.md.gz ./usr/share/doc/sluice/copyright ./usr/share/doc/sluice/changelog.Debian.gz; do
  grep -qE " $f\$" "$tmp/contents" || { echo "FAIL: $f is not in the package"; exit 1; }
done
grep -q ' root/root ' "$tmp/contents" && ! grep -vq ' root/root ' "$tmp/contents" || { echo "FAIL: a file not owned by root"; exit 1; }
dpkg-deb -I "$deb" conffiles | grep -qx /etc/sluice/sluice.yaml || { echo "FAIL: sluice.yaml is not a conffile"; exit 1; }
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libuv1 libssl3 libyaml-cpp; do
  [[ $depends == *"$lib"* ]] || { echo "FAIL: Depends lacks $lib: $depends"; exit 1; }
done

root=$tmp/root
dpkg -x "$deb" "$root"
file "$root/usr/bin/sluice" | grep -q ', stripped' || { echo "FAIL: the binary is not stripped"; exit 1; }
installed_version=$("$root/usr/bin/sluice" --version | head -n 1)
[[ $installed_version == "sluice $cmake_version" ]] || { echo "FAIL: --version says '$installed_version'"; exit 1; }
grep -q '^ExecStart=/usr/bin/sluice --config /etc/sluice/sluice.yaml$' "$root/lib/systemd/system/sluice.service" \
  || { echo "FAIL: the unit does not run /usr/bin/sluice"; exit 1; }
grep -q '^User=sluice$' "$root/lib/systemd/system/sluice.service" || { echo "FAIL: the unit's user"; exit 1; }
# The package's unit as the systemd test checks the source's (tests/e2e/packaging_test.cc): verify without a word,
# exposure at most 2.0 (its man: links are checked by the man page test), with ExecStart pointed at the unpacked binary.
if command -v systemd-analyze > /dev/null; then
  sed "s#/usr/bin/sluice#$root/usr/bin/sluice#" "$root/lib/systemd/system/sluice.service" > "$tmp/sluice.service"
  verify=$(systemd-analyze verify --man=no "$tmp/sluice.service" 2>&1) || { echo "FAIL: systemd-analyze verify: $verify"; exit 1; }
  [[ -z $verify ]] || { echo "FAIL: systemd-analyze verify: $verify"; exit 1; }
  exposure=$(systemd-analyze security --offline=yes "$tmp/sluice.service" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  echo "systemd-analyze security: $exposure"
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || { echo "FAIL: exposure '$exposure' above 2.0"; exit 1; }
fi
LOG_DRAIN_URL=https://token:secret@logs.example.com/logs "$root/usr/bin/sluice" check --config "$root/etc/sluice/sluice.yaml"
zcat "$root/usr/share/doc/sluice/changelog.Debian.gz" | head -n 1 | grep -qF "sluice ($deb_version)" \
  || { echo "FAIL: the changelog's version"; exit 1; }
zcat "$root/usr/share/man/man5/sluice.yaml.5.gz" | grep -q '^\.TH SLUICE.YAML 5 ' || { echo "FAIL: man page"; exit 1; }
# The sysusers.d and tmpfiles.d snippets applied to a scratch root: the user, then its state directory.
if command -v systemd-sysusers > /dev/null && command -v systemd-tmpfiles > /dev/null; then
  sysroot=$tmp/sysroot
  mkdir -p "$sysroot/etc" "$sysroot/var/lib"
  systemd-sysusers --root="$sysroot" "$root/usr/lib/sysusers.d/sluice.conf"
  grep -q '^sluice:x:[0-9]*:[0-9]*:.*:/var/lib/sluice:/usr/sbin/nologin$' "$sysroot/etc/passwd" \
    || { echo "FAIL: no sluice user from sysusers.d"; cat "$sysroot/etc/passwd"; exit 1; }
  systemd-tmpfiles --root="$sysroot" --create "$root/usr/lib/tmpfiles.d/sluice.conf"
  uid=$(awk -F: '$1 == "sluice" { print $3 }' "$sysroot/etc/passwd")
  [[ $(stat -c '%a %u' "$sysroot/var/lib/sluice") == "700 $uid" ]] || { echo "FAIL: /var/lib/sluice"; exit 1; }
fi

# The postinst, with the commands it may run replaced by stubs that log their arguments.
dpkg-deb -e "$deb" "$tmp/control"
mkdir -p "$tmp/stubs"
for c in systemd-sysusers systemd-tmpfiles systemctl adduser deb-systemd-invoke deb-systemd-helper; do
  printf '#!/bin/sh\necho "%s $*" >> "%s"\n' "$c" "$tmp/calls" > "$tmp/stubs/$c"
  chmod +x "$tmp/stubs/$c"
done
PATH=$tmp/stubs:$PATH sh "$tmp/control/postinst" configure
grep -qx 'systemd-sysusers sluice.conf' "$tmp/calls" && grep -qx 'systemd-tmpfiles --create sluice.conf' "$tmp/calls" \
  || { echo "FAIL: postinst calls:"; cat "$tmp/calls"; exit 1; }
grep -q 'enable\|start' "$tmp/calls" && { echo "FAIL: postinst enables or starts the unit"; exit 1; }
rm -rf "$root"

# Installed and removed by dpkg itself, into a scratch root with a database of its own (its maintainer scripts run
# outside it, with the stubs above in place of the commands that would change this machine): the binary dpkg put
# there runs, checks the shipped config, and a purge leaves none of the package's files behind.
droot=$tmp/dpkg-root
mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates"
touch "$droot/var/lib/dpkg/status"
dpkg_scratch() { PATH=$tmp/stubs:$PATH dpkg --root="$droot" --force-script-chrootless --force-depends --force-not-root "$@"; }
dpkg_scratch -i "$deb" > "$tmp/dpkg-install.log" 2>&1 || { echo "FAIL: dpkg -i"; cat "$tmp/dpkg-install.log"; exit 1; }
dpkg-query --admindir="$droot/var/lib/dpkg" -W -f='${Status}' sluice | grep -qx 'install ok installed' \
  || { echo "FAIL: dpkg does not list sluice as installed"; exit 1; }
[[ $("$droot/usr/bin/sluice" --version | head -n 1) == "sluice $cmake_version" ]] || { echo "FAIL: installed --version"; exit 1; }
LOG_DRAIN_URL=https://token:secret@logs.example.com/logs "$droot/usr/bin/sluice" check --config "$droot/etc/sluice/sluice.yaml"
dpkg_scratch -P sluice > "$tmp/dpkg-purge.log" 2>&1 || { echo "FAIL: dpkg -P"; cat "$tmp/dpkg-purge.log"; exit 1; }
left=$(find "$droot" -type f -not -path "$droot/var/lib/dpkg/*")
[[ -z $left ]] || { echo "FAIL: left after the purge: $left"; exit 1; }
echo "ok: $deb_version"
