#!/usr/bin/env bash
# Builds librdkafka from Debian's own newer source package into .local/librdkafka, for platforms
# whose librdkafka is older than the relay's minimum (Debian 12 ships 2.0.2, whose SCRAM login
# Kafka 4 refuses). Sourced by scripts/setup; uses only Debian's archive and its keyring:
#
#   apt-get source, with an apt state of its own under .local/librdkafka/apt (the machine's
#   sources.list is not touched), verifies the suite's signed Release file and the package's
#   checksums; dpkg-source applies Debian's patches; librdkafka's own configure and make build it.
#
# The result: .local/librdkafka/{include,lib} with librdkafka.a and rdkafka-static.pc, which
# cmake/dependencies.cmake prefers to the system's library. A stamp names the source version, so
# later runs skip the build.

librdkafka_minimum=2.6.1
librdkafka_suite=trixie
librdkafka_source_version=2.8.0-1

# Whether version $1 is at least version $2 (dotted numbers).
librdkafka_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# Builds it into $1 (the prefix) unless the system's or the stamped build is new enough.
librdkafka_ensure() {
  local prefix=$1
  local system_version
  system_version=$(pkg-config --modversion rdkafka 2>/dev/null || echo 0)
  if librdkafka_at_least "$system_version" "$librdkafka_minimum"; then
    return 0
  fi
  local stamp="$prefix/build.stamp"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$librdkafka_source_version" ] &&
    [ -f "$prefix/lib/librdkafka.a" ]; then
    return 0
  fi
  echo "setup: the system's librdkafka is $system_version (< $librdkafka_minimum): building" \
    "librdkafka $librdkafka_source_version from Debian $librdkafka_suite's source into" \
    "${prefix#"$PWD"/}" >&2
  local work="$prefix.work"
  rm -rf "$work" "$prefix"
  mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial"
  cat >"$work/apt/debian-source.sources" <<SOURCES
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $librdkafka_suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  local apt=(apt-get -q -o "Dir::Etc::SourceList=$work/apt/debian-source.sources" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache::Archives=$work/apt/archives"
    -o APT::Sandbox::User=root)
  local log="$work/build.log"
  if ! { "${apt[@]}" update &&
    (cd "$work" && "${apt[@]}" source --download-only "librdkafka=$librdkafka_source_version") &&
    (cd "$work" && dpkg-source -x "librdkafka_$librdkafka_source_version.dsc" source) &&
    (cd "$work/source" && ./configure --prefix="$prefix" --disable-debug-symbols) &&
    make -C "$work/source" -j"$(nproc)" libs &&
    make -C "$work/source/src" install; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "setup: building librdkafka $librdkafka_source_version failed (log: $log)" >&2
    return 1
  fi
  echo "$librdkafka_source_version" >"$stamp"
  rm -rf "$work"
}
