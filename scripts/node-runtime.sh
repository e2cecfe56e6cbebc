#!/usr/bin/env bash
# Prints the bin folder of the Node.js the engine is tested on (24 LTS), or nothing when `node` on
# the PATH is already that major version. Node 20 reached its end of life in April 2026; a machine
# that still has it gets Node 24 from the npm registry (the official build, published there as
# node-<os>-<arch>), unpacked once into .tools/. Use: export PATH="$(bash scripts/node-runtime.sh)$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0
major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
[ "$(major)" = "${NODE_VERSION%%.*}" ] && exit 0

os=$(uname -s | tr '[:upper:]' '[:lower:]')
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "no Node.js $NODE_VERSION build for $(uname -m): install Node.js 24 LTS by hand" >&2 && exit 1 ;;
esac
dir=".tools/node-v$NODE_VERSION"
if [ ! -x "$dir/bin/node" ]; then
  echo "== fetching Node.js $NODE_VERSION (node-$os-$arch from the npm registry)" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-$os-$arch@$NODE_VERSION" >/dev/null && tar xzf ./*.tgz)
  mkdir -p .tools && rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
fi
echo "$PWD/$dir/bin:"
