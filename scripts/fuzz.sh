#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each (FUZZTIME, default 3s), starting from its
# committed seed corpus (f.Add seeds and testdata/fuzz). A finding fails the run and leaves the failing input
# under the package's testdata/fuzz/ for `go test` to replay.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-3s}"
count=0
while read -r pkg; do
  dir=${pkg#github.com/csptransfer/csptransfer}
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "fuzz ${dir:-.} $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/fuzz.$$ 2>&1 || { cat /tmp/fuzz.$$; rm -f /tmp/fuzz.$$; exit 1; }
    count=$((count + 1))
  done
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | sed 's|^\.|github.com/csptransfer/csptransfer|')
rm -f /tmp/fuzz.$$
echo "fuzz: $count targets, no findings"
