#!/usr/bin/env bash
# install.sh installs the Bluesky PDS and PLC directory that Herald's
# integration tests run against (see internal/testpeer and start.js) into a
# cache directory outside the repository:
#
#   $HERALD_PEERS_DIR/bluesky/node_modules   about 250 MB, never committed
#
# HERALD_PEERS_DIR defaults to $HOME/.cache/herald-peers. npm ci installs
# exactly what package-lock.json records; the install is skipped when the
# cache was installed from the same package.json, lock file and Node version
# (better-sqlite3 is compiled against the running Node's ABI).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="${HERALD_PEERS_DIR:-$HOME/.cache/herald-peers}"
out="$peers/bluesky"
stamp="$out/installed.sha256"

want="$(cat "$here/package.json" "$here/package-lock.json" <(node --version) | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$out/node_modules/@atproto/pds" ]]; then
	echo "bluesky: up to date at $out/node_modules"
	exit 0
fi

mkdir -p "$out"
rm -f "$stamp"
cp "$here/package.json" "$here/package-lock.json" "$out/"
cd "$out"
echo "bluesky: npm ci into $out (about a minute or two: better-sqlite3 is compiled)"
# better-sqlite3 tries a prebuilt binary download first and falls back to
# compiling with node-gyp, which must find Node's headers locally (it cannot
# download them here): point it at the installed ones unless npm already is.
if [[ -z "${npm_config_nodedir:-}" && "$(npm config get nodedir)" =~ ^(undefined|null|)$ ]]; then
	prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
	if [[ -f "$prefix/include/node/node.h" ]]; then
		export npm_config_nodedir="$prefix"
	fi
fi
npm ci --no-audit --no-fund
echo "$want" >"$stamp"
echo "bluesky: installed"
