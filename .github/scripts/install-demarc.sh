#!/usr/bin/env bash
# Installs a released demarc binary for the runner: downloads the release's
# archive for this OS and architecture and its SHA256SUMS, refuses the archive
# unless its checksum is listed and matches, and unpacks the binary into
# DEST/bin. action.yml runs it; tests/action.rs runs it against a local
# directory standing in for a release (file:// URLs), so no test needs the
# network.
#
# Environment:
#   DEMARC_VERSION  release version, with or without a leading v (0.2.0)
#   RUNNER_OS       Linux, macOS or Windows (the runner sets it)
#   RUNNER_ARCH     X64 or ARM64 (the runner sets it)
#   DEST            install root; the binary goes to DEST/bin
#   RELEASE_URL     where the release's files are, e.g.
#                   https://github.com/OWNER/demarc/releases/download/v0.2.0
set -euo pipefail

version="${DEMARC_VERSION#v}"
case "$RUNNER_OS/$RUNNER_ARCH" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *)
    echo "::error::demarc has no release binary for $RUNNER_OS/$RUNNER_ARCH; use version: source" >&2
    exit 1
    ;;
esac

# The names release.yml gives its archives.
stem="demarc-$version-$target"
if [ "$RUNNER_OS" = Windows ]; then archive="$stem.zip"; exe=demarc.exe; else archive="$stem.tar.gz"; exe=demarc; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# --fail: an HTTP error is an error, not a saved error page.
fetch() { curl --fail --silent --show-error --location --retry 3 --output "$work/$1" "$RELEASE_URL/$1"; }
fetch SHA256SUMS
fetch "$archive"

# SHA256SUMS lines are "<hex>  <name>" (or "<hex> *<name>" in binary mode).
expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1 }' "$work/SHA256SUMS")"
if [ -z "$expected" ]; then
  echo "::error::$archive is not listed in the release's SHA256SUMS" >&2
  exit 1
fi
if command -v sha256sum >/dev/null; then
  actual="$(sha256sum "$work/$archive" | awk '{ print $1 }')"
else
  actual="$(shasum -a 256 "$work/$archive" | awk '{ print $1 }')"
fi
if [ "$actual" != "$expected" ]; then
  echo "::error::checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual" >&2
  exit 1
fi

# tar reads zip archives too on Windows runners (bsdtar).
tar -xf "$work/$archive" -C "$work"
mkdir -p "$DEST/bin"
cp "$work/$stem/$exe" "$DEST/bin/$exe"
chmod +x "$DEST/bin/$exe"
echo "installed demarc $version ($target) in $DEST/bin"
