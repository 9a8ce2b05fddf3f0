#!/usr/bin/env bash
# make lint: formatting, vet, tidy modules, staticcheck at the version
# pinned in tools/go.mod, and the repository standing alone (no tracked
# file may reach or cite a file outside it). Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
status=0
fail() { printf 'lint: %s\n' "$*" >&2; status=1; }

unformatted=$(gofmt -l cmd internal)
[ -z "$unformatted" ] || fail "gofmt would change: $unformatted"

$GO vet ./... || fail "go vet reports the findings above"

$GO mod tidy -diff >/dev/null || fail "go.mod/go.sum are not tidy: run 'go mod tidy'"
(cd tools && $GO mod tidy -diff >/dev/null) || fail "tools/go.mod is not tidy: run 'cd tools && go mod tidy'"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
$GO -C tools build -o "$bin/staticcheck" honnef.co/go/tools/cmd/staticcheck
"$bin/staticcheck" -checks all,-ST1000,-ST1003,-ST1020,-ST1021,-ST1022 ./... || fail "staticcheck reports the findings above"

# Nothing outside the repository: no path above it, no planning notes.
# (The patterns are spelled with brackets so this file does not match.)
outside=$(grep -rlE --exclude-dir=.git 'SPEC[.]md|STYLE[.]md|FIELD[-]NOTES|MOTO[-]NOTES|[.][.]/[.][.]/[.][.]/shared|[.][.]/shared/' . || true)
[ -z "$outside" ] || fail "these files reach or cite documents outside the repository: $outside"

exit $status
