#!/usr/bin/env bash
# `make demo`: builds a local test CT log, serves it on 127.0.0.1, and mirrors it with ctdl:
# init -> status -> download (RFC 6962 and tiled) -> status -> a few records.
# Usage: scripts/demo.sh BUILD_DIR   (needs BUILD_DIR/ctdl and BUILD_DIR/ctdl-testlog; no terminal needed)
set -euo pipefail

build="$(cd "${1:-build}" && pwd)"
ctdl="$build/ctdl"
testlog="$build/ctdl-testlog"
entries="${CTDL_DEMO_ENTRIES:-5000}"
for exe in "$ctdl" "$testlog"; do
  [ -x "$exe" ] || { echo "demo: $exe is not built; run 'make' first" >&2; exit 1; }
done

demo="$build/demo"
rm -rf "$demo/run"
mkdir -p "$demo/run"
cd "$demo/run"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# The log itself is built once and reused (a few seconds for 5000 entries).
if [ ! -f "$demo/log-$entries/meta.json" ] || [ "$testlog" -nt "$demo/log-$entries/meta.json" ]; then
  say "Building a test log with $entries entries"
  rm -rf "$demo/log-$entries"
  "$testlog" build --out "$demo/log-$entries" --entries "$entries"
fi

say "Serving it on 127.0.0.1 (RFC 6962 and static-ct-api)"
"$testlog" serve --dir "$demo/log-$entries" --port 0 --port-file port --log-list-out log_list.json \
  >serve.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  [ -s port ] && break
  kill -0 "$server" 2>/dev/null || { cat serve.log >&2; echo "demo: the test log did not start" >&2; exit 1; }
  sleep 0.05
done
[ -s port ] || { echo "demo: the test log did not start in 15 s" >&2; exit 1; }
port="$(cat port)"
rfc_url="http://127.0.0.1:$port/"
tiled_url="http://127.0.0.1:$port/static/"
echo "RFC 6962: $rfc_url   tiled: $tiled_url   log list: $PWD/log_list.json"

state="sqlite:$PWD/ctdl-state.db"
archive="dir:$PWD/ctdl-archive"
c() { run "$ctdl" --state "$state" --archive "$archive" "$@"; }

say "Register the logs named by the log list"
c init --log-list log_list.json --yes

say "Status before downloading"
c status

# Download. A step that is not built yet (exit 9) is shown without failing the demo.
# strict=1: any other failure ends the demo; strict=0 (unused now that tiled downloading has landed)
# bounds the step by a timeout that stops ctdl gracefully with SIGINT and goes on.
download() {
  local url="$1" strict="$2" rc=0
  if [ "$strict" = 1 ]; then
    c download "$url" || rc=$?
  else
    run timeout -s INT 30 "$ctdl" --state "$state" --archive "$archive" download "$url" || rc=$?
  fi
  if [ "$rc" -eq 9 ]; then
    echo "(this download is not built yet; the demo goes on)"
  elif [ "$rc" -ne 0 ]; then
    echo "demo: download of $url failed with exit code $rc" >&2
    [ "$strict" = 1 ] && exit "$rc"
    echo "(tiled downloading may not be built yet; the demo goes on)"
  fi
  return 0
}
say "Download the RFC 6962 log"
download "$rfc_url" 1
say "Download the same log through its tiled (static-ct-api) interface"
download "$tiled_url" 1

say "Status after downloading"
c status

say "A few records"
first="$(find ctdl-archive -type f \( -name '*.jsonl.gz' -o -name '*.jsonl.zst' \) 2>/dev/null | sort | head -n 1)"
if [ -n "$first" ]; then
  echo "Segments:"
  find ctdl-archive -type f | sort | sed 's/^/  /'
  echo "First records of $first:"
  case "$first" in
    *.gz) zcat "$first" 2>/dev/null | head -n 3 || true ;;
    *.zst) zstdcat "$first" 2>/dev/null | head -n 3 || true ;;
  esac
else
  echo "(no segments written yet)"
fi
say "Done. State: $state   Archive: $archive"
