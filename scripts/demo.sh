#!/usr/bin/env bash
# The README's main command: installs what is needed, builds, fetches the embedded SpamAssassin
# data, starts nasq-server on a SQLite file and one nasq-worker (cuda:0 when NASQ_DEVICE says so,
# else the CPU; it trains up to 4 trials of the same model shape as one fused model), submits
# examples/demo.yaml (mixed precision + NAS, accuracy against average bits), shows the live
# `nasq watch` view, then prints the trials table and the Pareto front and
# writes the trials CSV, the front's SVG plot and a best-so-far accuracy plot to out/demo/ (a
# single-objective NASQ_DEMO_SPEC gets its best trial instead of the front).
# Stops its processes on exit or Ctrl-C.
# The dashboard (docs/dashboard.md) is served at the URL printed before the watch view.
# Environment: BUILD_DIR (default build), OUT_DIR (default out/demo), NASQ_DEMO_PORT (50151),
# NASQ_DEMO_HTTP_PORT (the dashboard's, 8151), NASQ_DEMO_KEEP (1: keep serving the dashboard
# after the study ends, until Ctrl-C),
# NASQ_DEVICE (cpu), NASQ_FUSE (the worker's `--fuse K`: up to K trials of the same model shape
# trained as one fused model; default 4, 1 = one trial at a time), NASQ_THREADS (the worker's
# LibTorch threads; 0, the default, = all cores; 1 on a machine busy with other work, where
# threads waiting for each other waste the CPU),
# NASQ_DEMO_SPEC (examples/demo.yaml), NASQ_DEMO_TLS (1: serve over TLS with
# tokens; a CA, a certificate and an admin and a worker token are made under out/demo/tls/ by
# scripts/make-certs.sh and scripts/new-token.sh, see docs/security.md).
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
http_address=127.0.0.1:${NASQ_DEMO_HTTP_PORT:-8151}
dashboard_url=http://$http_address/
nasq="$build_dir/cli/nasq"
mkdir -p "$out"
rm -f "$out"/nasq.db*

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

security=()
worker_env=()
if [ "${NASQ_DEMO_TLS:-0}" = 1 ]; then
  tls="$out/tls"
  rm -rf "$tls"
  scripts/make-certs.sh "$tls" 127.0.0.1 localhost
  scripts/new-token.sh demo-admin admin "$tls/admin.token" > "$tls/tokens.txt"
  scripts/new-token.sh demo-worker worker "$tls/worker.token" >> "$tls/tokens.txt"
  security=(--tls-cert "$tls/server.pem" --tls-key "$tls/server.key" --auth-tokens "$tls/tokens.txt")
  export NASQ_TLS_CA="$tls/ca.pem" NASQ_TOKEN_FILE="$tls/admin.token"
  worker_env=(NASQ_TOKEN_FILE="$tls/worker.token")
  dashboard_url="https://$http_address/ (CA $tls/ca.pem; paste the token of $tls/admin.token)"
fi

"$build_dir/server/nasq-server" --db "$out/nasq.db" --listen "$NASQ_SERVER" --http "$http_address" \
  "${security[@]}" >"$out/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do "$nasq" study list >/dev/null 2>&1 && break; sleep 0.2; done
"$nasq" study create "$spec"
env "${worker_env[@]}" "$build_dir/worker/app/nasq-worker" --device "${NASQ_DEVICE:-cpu}" \
  --threads "${NASQ_THREADS:-0}" --fuse "${NASQ_FUSE:-4}" >"$out/worker.log" 2>&1 &
pids+=($!)

echo "Dashboard: $dashboard_url"
"$nasq" watch "$study"
echo
"$nasq" trials "$study" -f table
if grep -q '^directions:' "$spec"; then
  echo "Pareto front:"
  "$nasq" pareto "$study"
  "$nasq" plot "$study" --kind pareto --out "$out/pareto.svg"
else
  echo "Best trial:"
  "$nasq" best "$study"
fi
"$nasq" export "$study" --format csv --out "$out/trials.csv"
"$nasq" plot "$study" --kind history --out "$out/history.svg"
echo "Server and worker logs: $out/server.log, $out/worker.log"
if [ "${NASQ_DEMO_KEEP:-0}" = 1 ]; then
  echo "Dashboard: $dashboard_url (serving until Ctrl-C)"
  wait "${pids[0]}"
else
  echo "Dashboard: $dashboard_url (stops now; NASQ_DEMO_KEEP=1 keeps it serving)"
fi
