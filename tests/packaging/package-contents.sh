#!/usr/bin/env bash
# package.contents: builds the Debian package the way a release does (the `package` preset, in a
# build tree of its own, then `cpack -G DEB`) and checks what is in it: control fields and library
# dependencies, the binary, the unit, the conffiles, the migrations, the manual page and
# documents, the maintainer scripts; then extracts it and runs the packaged binary.
#
#   package-contents.sh SOURCE_DIR WORK_DIR VERSION
#
# WORK_DIR/build is kept between runs, so a second run only rebuilds what changed.
set -euo pipefail
source_dir=$1 work=$2 version=$3

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
ok() { echo "ok: $*"; }

build=$work/build
mkdir -p "$work"
log=$work/build.log
echo "building the package in $build (log: $log)"
start=$SECONDS
if ! {
  cmake -S "$source_dir" --preset package -B "$build" &&
    cmake --build "$build" -j "${OUTBOX_RELAY_PACKAGE_JOBS:-2}" &&
    rm -f "$build"/*.deb &&
    (cd "$build" && cpack -G DEB)
} >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "FAIL: building the package" >&2
  exit 1
fi
echo "built in $((SECONDS - start)) s"

arch=$(dpkg --print-architecture)
deb=$build/outbox-relay_${version}_${arch}.deb
[ -f "$deb" ] || {
  ls "$build"/*.deb >&2 || true
  echo "FAIL: $deb was not made" >&2
  exit 1
}
ok "$(basename "$deb") ($(stat -c %s "$deb") bytes)"

# Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = outbox-relay ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), want $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ "$(field Section)" = database ] || fail "Section: $(field Section)"
depends=$(field Depends)
depends_names=$(sed -E 's/ *\([^)]*\)//g; s/, */\n/g' <<<"$depends")
# dpkg-shlibdeps found the libraries the binary links.
for package in libc6 libstdc++6 libpq5 libyaml-cpp0.7 passwd; do
  grep -qxF "$package" <<<"$depends_names" || fail "Depends lacks $package: $depends"
done
# librdkafka: linked statically when the build used the one scripts/setup built (the host's
# librdkafka1 may be older than the relay needs), so the package needs its dependencies instead;
# the system's, when new enough, as a package dependency.
if [ -f "$source_dir/.local/librdkafka/lib/librdkafka.a" ]; then
  ! grep -qxF librdkafka1 <<<"$depends_names" || fail "Depends names librdkafka1: $depends"
  for package in libsasl2-2 libzstd1 liblz4-1 libssl3; do
    grep -qxF "$package" <<<"$depends_names" || fail "Depends lacks $package: $depends"
  done
else
  grep -qxF librdkafka1 <<<"$depends_names" || fail "Depends lacks librdkafka1: $depends"
fi
# The Release build links jemalloc, which replaces malloc for the whole process.
grep -qxF libjemalloc2 <<<"$depends_names" || fail "Depends lacks libjemalloc2: $depends"
ok "control: outbox-relay $version $arch; Depends: $depends"

# Files, with their modes.
listing=$(dpkg-deb -c "$deb")
has() { # MODE-REGEX PATH
  grep -Eq "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./${2#/}$" <<<"$listing" ||
    fail "no $2 with mode $1 in the package"
}
has '-rwxr-xr-x' /usr/bin/outbox-relay
has '-rw-r--r--' /lib/systemd/system/outbox-relay.service
has '-rw-r--r--' /usr/lib/sysusers.d/outbox-relay.conf
has '-rw-r-----' /etc/outbox-relay/relay.yaml
has '-rw-------' /etc/default/outbox-relay
has '-rw-r--r--' /usr/share/man/man1/outbox-relay.1.gz
for doc in README.md operations.md configuration.md packaging.md examples/outbox-relay.example.yaml \
  examples/Containerfile examples/sidecar-example.yaml; do
  has '-rw-r--r--' "/usr/share/doc/outbox-relay/$doc"
done
migrations=0
for sql in "$source_dir"/migrations/*.sql; do
  has '-rw-r--r--' "/usr/share/outbox-relay/migrations/$(basename "$sql")"
  migrations=$((migrations + 1))
done
[ "$migrations" -gt 0 ] || fail "no migrations in $source_dir/migrations"
ok "files: binary, unit, sysusers.d, 2 configuration files, $migrations migration(s), man page, documents"

# Conffiles: exactly the files under /etc.
conffiles=$(dpkg-deb -I "$deb" conffiles | sort)
etc_files=$(grep -E '^-' <<<"$listing" | awk '{print $6}' | sed -n 's|^\./etc/|/etc/|p' | sort)
[ "$conffiles" = "$etc_files" ] || fail "conffiles ($(echo $conffiles)) differ from the files under /etc ($(echo $etc_files))"
grep -qx /etc/outbox-relay/relay.yaml <<<"$conffiles" || fail "relay.yaml is not a conffile"
ok "conffiles: $(echo $conffiles)"

# Maintainer scripts: present, executable, POSIX sh that parses.
control=$work/control
rm -rf "$control" && dpkg-deb -e "$deb" "$control"
for script in postinst prerm postrm; do
  if [ ! -x "$control/$script" ]; then
    fail "no executable $script"
  elif ! sh -n "$control/$script"; then
    fail "$script does not parse"
  fi
done
ok "maintainer scripts: postinst prerm postrm"

# The extracted package: the binary runs, the unit and the configuration are the sources'.
root=$work/root
rm -rf "$root" && dpkg-deb -x "$deb" "$root"
out=$("$root/usr/bin/outbox-relay" --version 2>&1) || fail "outbox-relay --version exited $?"
[[ "$out" =~ ^"outbox-relay $version (librdkafka "([0-9.]+)")"$ ]] ||
  fail "outbox-relay --version printed: $out"
[ "$(printf '%s\n2.6.1\n' "${BASH_REMATCH[1]}" | sort -V | head -n1)" = 2.6.1 ] ||
  fail "the packaged relay runs with librdkafka ${BASH_REMATCH[1]}, older than 2.6.1"
if [ -f "$source_dir/.local/librdkafka/lib/librdkafka.a" ] &&
  ldd "$root/usr/bin/outbox-relay" | grep -q librdkafka; then
  fail "the packaged binary loads a shared librdkafka: $(ldd "$root/usr/bin/outbox-relay" | grep librdkafka)"
fi
"$root/usr/bin/outbox-relay" --help | grep -q 'Subcommands:' || fail "outbox-relay --help"
cmp -s "$root/lib/systemd/system/outbox-relay.service" \
  "$source_dir/packaging/systemd/outbox-relay.service" || fail "the packaged unit differs"
ok "the packaged binary runs: $out"

# It runs with jemalloc (docs/memory.md): its first log line says which allocator serves malloc.
# Nothing listens on port 1: the relay logs that line, fails to connect, and is stopped.
out=$(env -i PATH="$PATH" timeout -s INT 5 "$root/usr/bin/outbox-relay" run \
  --config "$root/etc/outbox-relay/relay.yaml" --set metrics.listen= \
  --set source.dsn="host=127.0.0.1 port=1 dbname=x connect_timeout=1" 2>&1 || true)
grep -q 'outbox-relay starting .*allocator="jemalloc [0-9]' <<<"$out" ||
  fail "the packaged relay does not run with jemalloc; its log: $out"
ok "the packaged relay runs with jemalloc"

# The default configuration loads (exit 2 would mean it does not). check then fails to reach
# PostgreSQL at 127.0.0.1:5432 (exit 1); the stdout sink spares a 10 s Kafka probe.
config=$root/etc/outbox-relay/relay.yaml
status=0
out=$(env -i PATH="$PATH" PGCONNECT_TIMEOUT=3 "$root/usr/bin/outbox-relay" check --config "$config" \
  --set sink.type=stdout 2>&1) || status=$?
if [ "$status" -eq 2 ] || ! grep -q '^configuration:' <<<"$out"; then
  echo "$out" >&2
  fail "the packaged relay.yaml does not load (exit $status)"
else
  ok "the packaged relay.yaml loads (check: exit $status, as PostgreSQL is not there)"
fi
# It names the same keys, in the same order, as config/outbox-relay.example.yaml (most of them
# commented out, with their defaults).
keys() { awk 'started || !/^#/ {started = 1; print}' "$1" | sed -nE 's/^[ #]*([a-z_.]+):.*/\1/p'; }
if ! diff <(keys "$source_dir/config/outbox-relay.example.yaml") <(keys "$config") >&2; then
  fail "relay.yaml and config/outbox-relay.example.yaml name different keys (diff above)"
else
  ok "relay.yaml names the example's $(keys "$config" | wc -l) keys"
fi

# The manual page renders without a warning.
warnings=$(zcat "$root/usr/share/man/man1/outbox-relay.1.gz" | LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z 2>&1)
[ -z "$warnings" ] || fail "groff warns about the manual page: $warnings"
man -l "$root/usr/share/man/man1/outbox-relay.1.gz" 2>/dev/null | grep -q 'outbox-relay' ||
  fail "man -l cannot render the manual page"
ok "the manual page renders"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
