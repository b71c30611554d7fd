#!/bin/bash
# Builds sluice_VERSION-REVISION_ARCH.deb from a Release binary (`make deb`; README "Packages").
#   packaging/build_deb.sh BINARY OUTDIR
# The version is the binary's own (`sluice --version`, from CMake's project(VERSION)); the manual pages and the
# bash completion are written by the binary from its option tables and plugin registry, so they match it.
# Prints the path of the package on its last line.
set -euo pipefail

bin=$1
outdir=$2
src=$(cd "$(dirname "$0")/.." && pwd)
deb=$src/packaging/deb
revision=${DEB_REVISION:-1}
maintainer=${DEB_MAINTAINER:-"Sluice maintainers <sluice@example.org>"}
arch=$(dpkg --print-architecture)

upstream=$("$bin" --version | awk 'NR == 1 { print $2 }')
[[ $upstream =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || { echo "build_deb: no version in '$bin --version'" >&2; exit 1; }
version=$upstream-$revision
# Reproducible: the last commit's time (or SOURCE_DATE_EPOCH) for the changelog and every file.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)}

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
root=$outdir/root
rm -rf "$root"
umask 022
mkdir -p "$root/DEBIAN"

install -D -m 0755 "$bin" "$root/usr/bin/sluice"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/bin/sluice"

# The unit as `make install` writes it, for /usr/bin and a static user of the package's own (sysusers.d).
install -d "$root/lib/systemd/system"
sed -e 's#/usr/local/bin/sluice#/usr/bin/sluice#' \
    -e 's#^Documentation=.*#Documentation=man:sluice(1) man:sluice.yaml(5) file:///usr/share/doc/sluice/README.md.gz#' \
    -e 's#^DynamicUser=yes#User=sluice\nGroup=sluice#' \
    -e 's#make install. puts it in /etc/systemd/system/#the Debian package installs it in /lib/systemd/system/#' \
    "$src/systemd/sluice.service" > "$root/lib/systemd/system/sluice.service"
install -D -m 0644 "$deb/sysusers.conf" "$root/usr/lib/sysusers.d/sluice.conf"
install -D -m 0644 "$deb/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/sluice.conf"
install -D -m 0644 "$src/conf/vm.yaml" "$root/etc/sluice/sluice.yaml"

install -d "$root/usr/share/man/man1" "$root/usr/share/man/man5"
"$bin" --man 1 | gzip -9n > "$root/usr/share/man/man1/sluice.1.gz"
"$bin" --man 5 | gzip -9n > "$root/usr/share/man/man5/sluice.yaml.5.gz"
install -d "$root/usr/share/bash-completion/completions"
"$bin" --completion bash > "$root/usr/share/bash-completion/completions/sluice"

doc=$root/usr/share/doc/sluice
install -d "$doc"
gzip -9n < "$src/README.md" > "$doc/README.md.gz"
sed -e "s#@MAINTAINER@#$maintainer#" "$deb/copyright.in" > "$doc/copyright"
printf 'sluice (%s) unstable; urgency=medium\n\n  * Package of sluice %s (the changes are in README.md, "Status").\n\n -- %s  %s\n' \
  "$version" "$upstream" "$maintainer" "$(date -u -R -d "@$epoch")" | gzip -9n > "$doc/changelog.Debian.gz"
install -D -m 0644 "$deb/lintian-overrides" "$root/usr/share/lintian/overrides/sluice"

for script in postinst prerm postrm; do install -m 0755 "$deb/$script" "$root/DEBIAN/$script"; done
install -m 0644 "$deb/conffiles" "$root/DEBIAN/conffiles"

# Depends from the libraries the binary links (dpkg-shlibdeps wants a debian/control to read).
shlib=$outdir/shlibdeps
rm -rf "$shlib" && mkdir -p "$shlib/debian"
printf 'Source: sluice\n\nPackage: sluice\nArchitecture: any\n' > "$shlib/debian/control"
depends=$(cd "$shlib" && dpkg-shlibdeps -O "$root/usr/bin/sluice" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || { echo "build_deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
rm -rf "$shlib"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s#@VERSION@#$version#" -e "s#@ARCH@#$arch#" -e "s#@MAINTAINER@#$maintainer#" -e "s#@SIZE@#$size#" \
    -e "s#@DEPENDS@#adduser, $depends#" "$deb/control.in" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"

find "$root" -exec touch -h -d "@$epoch" {} +
package=$outdir/sluice_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >/dev/null
rm -rf "$root"
echo "$package"
