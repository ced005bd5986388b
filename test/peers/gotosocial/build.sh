#!/usr/bin/env bash
# build.sh builds the GoToSocial server that Herald's integration tests run
# against (see internal/testpeer) into a cache directory outside the repository:
#
#   $HERALD_PEERS_DIR/gotosocial/gotosocial   the binary (about 130 MB, never committed)
#   $HERALD_PEERS_DIR/gotosocial/web/         templates and assets of the same release,
#                                             needed by the sign-in and authorize pages
#
# HERALD_PEERS_DIR defaults to $HOME/.cache/herald-peers. The build is skipped
# when the binary was built from the same go.mod, go.sum, build.sh and Go
# version (a hash of them is kept beside it), so running it on every CI run
# costs nothing once the cache is warm. A hash rather than "binary newer than
# go.mod": CI works in a fresh clone, whose files are always newer.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="${HERALD_PEERS_DIR:-$HOME/.cache/herald-peers}"
out="$peers/gotosocial"
bin="$out/gotosocial"
stamp="$out/built.sha256"

want="$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" <(go version) | sha256sum | cut -d' ' -f1)"
if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$out/web/template" && -d "$out/web/assets" ]]; then
	echo "gotosocial: up to date at $bin"
	exit 0
fi

mkdir -p "$out"
rm -f "$stamp"
cd "$here"
echo "gotosocial: building into $bin (several minutes when the Go build cache is cold)"
# The tags and the version are the release build's: pure-Go networking and
# user lookup, a static binary, key=value logs, the time zone database built
# in, and the version the server reports (/api/v1/instance says
# "3.5.3+0.17.3", nodeinfo "0.17.3"), as clients that detect GoToSocial see it.
version="$(go list -m -f '{{.Version}}' github.com/superseriousbusiness/gotosocial)"
go build -trimpath -buildvcs=false -tags "netgo osusergo static_build kvformat timetzdata" \
	-ldflags "-X main.Version=${version#v}" \
	-o "$bin.tmp" github.com/superseriousbusiness/gotosocial/cmd/gotosocial

# Copy the web templates and assets beside the binary so that the cache is
# self-contained (the module cache may be cleaned independently). Files in the
# module cache are read-only, hence the chmod so that a later copy can replace
# them.
moddir="$(go list -m -f '{{.Dir}}' github.com/superseriousbusiness/gotosocial)"
rm -rf "$out/web"
mkdir -p "$out/web"
cp -R "$moddir/web/template" "$moddir/web/assets" "$out/web/"
chmod -R u+w "$out/web"

mv "$bin.tmp" "$bin"
# Written last: the stamp marks a complete build.
echo "$want" >"$stamp"
echo "gotosocial: built $bin"
