#!/usr/bin/env bash
# Download the pinned inputs of convert.py into a scratch directory outside
# the repository, check their sha256 against inputs.lock and unpack hl7apy.
#   usage: tools/defs/fetch.sh /tmp/defs-src
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:?usage: fetch.sh SCRATCH_DIR}"
mkdir -p "$dest/dl" "$dest/unpacked"
while read -r registry name version file digest _licence; do
  case "$registry" in ''|\#*) continue ;; esac
  if [ ! -f "$dest/dl/$file" ]; then
    case "$registry" in
      pypi) python3 -m pip download --no-deps --no-cache-dir "$name==$version" -d "$dest/dl" ;;
      npm) (cd "$dest/dl" && npm pack "$name@$version" >/dev/null) ;;
      *) echo "unknown registry $registry" >&2; exit 1 ;;
    esac
  fi
  got="$(sha256sum "$dest/dl/$file" | cut -d' ' -f1)"
  if [ "$got" != "$digest" ]; then
    echo "$file: sha256 $got, expected $digest" >&2
    exit 1
  fi
  echo "ok $file"
done < "$here/inputs.lock"
rm -rf "$dest/unpacked/hl7apy"
python3 -m zipfile -e "$dest/dl/hl7apy-1.3.5-py2.py3-none-any.whl" "$dest/unpacked/hl7apy"
