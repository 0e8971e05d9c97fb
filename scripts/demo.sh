#!/usr/bin/env bash
# The README's main command: installs what is needed, builds, fetches the embedded SpamAssassin
# data, starts nasq-server on a SQLite file and one nasq-worker (cuda:0 when NASQ_DEVICE says so,
# else the CPU), submits examples/demo.yaml (mixed precision + NAS), shows the live `nasq watch`
# view, then prints the trials table and the best trial and writes the trials CSV and a
# best-so-far SVG plot to out/demo/. Stops its processes on exit or Ctrl-C.
# Environment: BUILD_DIR (default build), OUT_DIR (default out/demo), NASQ_DEMO_PORT (50151),
# NASQ_DEVICE (cpu), NASQ_DEMO_SPEC (examples/demo.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/fetch-data.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)" --target nasq-server nasq nasq-worker

out=${OUT_DIR:-out/demo}
spec=${NASQ_DEMO_SPEC:-examples/demo.yaml}
study=$(sed -n 's/^name: *//p' "$spec" | head -n 1)
export NASQ_SERVER=127.0.0.1:${NASQ_DEMO_PORT:-50151}
nasq="$build_dir/clients/nasq"
mkdir -p "$out"
rm -f "$out"/nasq.db*

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$build_dir/server/nasq-server" --db "$out/nasq.db" --listen "$NASQ_SERVER" >"$out/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do "$nasq" study list >/dev/null 2>&1 && break; sleep 0.2; done
"$nasq" study create "$spec"
"$build_dir/worker/app/nasq-worker" --device "${NASQ_DEVICE:-cpu}" >"$out/worker.log" 2>&1 &
pids+=($!)

"$nasq" watch "$study"
echo
"$nasq" trials "$study" -f table
echo "Best trial:"
"$nasq" best "$study"
"$nasq" export "$study" --format csv --out "$out/trials.csv"
"$nasq" plot "$study" --kind history --out "$out/history.svg"
echo "Server and worker logs: $out/server.log, $out/worker.log"
