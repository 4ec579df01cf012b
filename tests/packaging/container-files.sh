#!/usr/bin/env bash
# container.files: what packaging/container/Containerfile copies from the build context (the
# repository root) exists, so a moved folder breaks this test rather than the first image build
# (no container engine runs where the tests run: docs/packaging.md).
#
#   container-files.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
containerfile=$source_dir/packaging/container/Containerfile

failures=0 copied=0
# COPY [--chown=...] SRC... DEST, skipping copies from another stage (--from=).
while read -r -a words; do
  [ "${#words[@]}" -gt 0 ] && [ "${words[0]}" = COPY ] || continue
  sources=()
  for word in "${words[@]:1}"; do
    [[ "$word" == --from=* ]] && continue 2
    [[ "$word" == --* ]] && continue
    sources+=("$word")
  done
  unset 'sources[${#sources[@]}-1]' # the destination
  for path in "${sources[@]}"; do
    copied=$((copied + 1))
    [ -e "$source_dir/$path" ] || {
      echo "FAIL: the Containerfile copies $path, which the repository does not have" >&2
      failures=$((failures + 1))
    }
  done
done <"$containerfile"
[ "$copied" -gt 0 ] || { echo "FAIL: no COPY found in $containerfile" >&2; exit 1; }
# The build needs every folder the root CMakeLists.txt adds unconditionally (a comment may follow).
for folder in $(sed -nE 's/^add_subdirectory\(([a-z]+)\)( *#.*)?$/\1/p' "$source_dir/CMakeLists.txt"); do
  grep -Eq "^COPY $folder $folder$" "$containerfile" || {
    echo "FAIL: the root CMakeLists.txt adds $folder/, which the Containerfile does not copy" >&2
    failures=$((failures + 1))
  }
done
[ "$failures" -eq 0 ] || exit 1
echo "ok: the Containerfile's $copied copied paths exist, and it copies every folder the build adds"
