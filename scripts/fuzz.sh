#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets (fuzz/*_fuzz.cc) with clang + ASan/UBSan in build-fuzz and
# runs each for a short smoke time from a seed corpus. Fails on any crash, leak or sanitizer report.
# Env: FUZZ_SECONDS (default 25 per target), FUZZ_TARGETS (default: all), BUILD_FUZZ (build dir).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build=${BUILD_FUZZ:-$src/build-fuzz}
seconds=${FUZZ_SECONDS:-25}

CC=clang CXX=clang++ cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCTDL_FUZZ=ON -DCTDL_SANITIZE=ON \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target fuzzers

# Seeds: every certificate in testdata/certs as DER (PEM blocks decoded), plus fuzz/corpus/<name>/.
seeds=$build/fuzz-seeds/certs
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds"
  python3 - "$src/testdata/certs" "$seeds" <<'PY'
import base64, hashlib, os, sys
root, out = sys.argv[1], sys.argv[2]
n = 0
for d, _, files in os.walk(root):
    for f in files:
        data = open(os.path.join(d, f), "rb").read()
        blocks = []
        b, e = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"
        pos = 0
        while (s := data.find(b, pos)) >= 0 and (t := data.find(e, s)) >= 0:
            try:
                blocks.append(base64.b64decode(b"".join(data[s + len(b):t].split())))
            except Exception:
                pass
            pos = t + len(e)
        if not blocks and data[:1] == b"\x30":
            blocks.append(data)
        for der in blocks:
            open(os.path.join(out, hashlib.sha1(der).hexdigest()), "wb").write(der)
            n += 1
print("fuzz: %d seed certificates" % n)
PY
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for bin in "$build"/fuzz/fuzz_*; do
  name=${bin##*/fuzz_}
  if [ -n "${FUZZ_TARGETS:-}" ] && ! grep -qw "$name" <<<"$FUZZ_TARGETS"; then continue; fi
  work=$build/fuzz-work/$name
  mkdir -p "$work/corpus" "$work/artifacts"
  dirs=("$work/corpus" "$seeds")
  [ -d "$src/fuzz/corpus/$name" ] && dirs+=("$src/fuzz/corpus/$name")
  echo "fuzz: $name for ${seconds}s"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${dirs[@]}" >"$work/log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/log" | sed "s/^/fuzz: $name /"
  else
    echo "fuzz: $name FAILED (crash input in $work/artifacts/); last lines of $work/log:"
    tail -30 "$work/log"
    failed=1
  fi
done
if [ $failed -ne 0 ]; then
  echo "fuzz: FAILED"
  exit 1
fi
echo "fuzz: OK (no crashes)"
