#!/usr/bin/env bash
# Installs built nasq binaries and the systemd units. Idempotent: running it again replaces the
# binaries and units and keeps /etc/nasq/*.env (your settings) as they are. See deploy/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/install.sh [OPTIONS]

Installs nasq-server, nasq and nasq-worker (those that were built) from a CMake build folder
into PREFIX/bin with the helpers nasq-make-certs and nasq-new-token (scripts/make-certs.sh,
scripts/new-token.sh), the embedded SpamAssassin data and the Slurm job script (used by
`nasq workers slurm`) into PREFIX/share/nasq, the systemd units
nasq-server.service and nasq-worker@.service, /etc/nasq/{server,worker}.env (only when
missing) and the system user "nasq". It enables and starts nothing.

Options:
  --build-dir DIR    CMake build folder holding the binaries (default: build)
  --prefix DIR       installation prefix (default: /usr/local)
  --destdir DIR      stage everything under DIR (packaging); skips the user and daemon-reload
  --unit-dir DIR     where the systemd units go (default: /etc/systemd/system)
  --no-systemd       install the binaries and data only
  -h, --help         show this help

Afterwards (docs/security.md):
  nasq-make-certs /etc/nasq/tls HOSTNAME localhost 127.0.0.1   # or your CA's certificate
  nasq-new-token gpu-01 worker gpu-01.token >> /etc/nasq/tokens.txt   # one per client
  chgrp nasq /etc/nasq/tls/server.key /etc/nasq/tokens.txt
  chmod 640 /etc/nasq/tls/server.key /etc/nasq/tokens.txt
  systemctl enable --now nasq-server                 # on the coordinator machine
  edit /etc/nasq/worker.env (NASQ_SERVER, NASQ_TLS_CA, NASQ_TOKEN_FILE), then
  systemctl enable --now nasq-worker@0 nasq-worker@1 # one per GPU, on every GPU machine
USAGE
}

die() { echo "install.sh: $*" >&2; exit 1; }

repo_root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=build
prefix=/usr/local
destdir=
unit_dir=/etc/systemd/system
with_systemd=1

while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) [ $# -ge 2 ] || die "$1 needs a value"; build_dir=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || die "$1 needs a value"; prefix=$2; shift 2 ;;
    --destdir) [ $# -ge 2 ] || die "$1 needs a value"; destdir=$2; shift 2 ;;
    --unit-dir) [ $# -ge 2 ] || die "$1 needs a value"; unit_dir=$2; shift 2 ;;
    --no-systemd) with_systemd=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

case "$prefix" in /*) ;; *) die "--prefix must be an absolute path, got '$prefix'" ;; esac
case "$build_dir" in /*) ;; *) build_dir="$repo_root/$build_dir" ;; esac
[ -d "$build_dir" ] || die "build folder '$build_dir' does not exist (build first, or give --build-dir)"
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
  die "needs root to write $prefix and $unit_dir (or use --destdir to stage)"
fi

# Binary name -> its path inside the build folder.
declare -A binaries=(
  [nasq-server]=server/nasq-server
  [nasq]=cli/nasq
  [nasq-worker]=worker/app/nasq-worker
)
installed=()
for name in nasq-server nasq nasq-worker; do
  src="$build_dir/${binaries[$name]}"
  if [ -x "$src" ]; then
    install -D -m 0755 "$src" "$destdir$prefix/bin/$name"
    installed+=("$name")
  else
    echo "install.sh: $name not built ($src missing), skipped"
  fi
done
[ ${#installed[@]} -gt 0 ] || die "no nasq binary found under '$build_dir'"
install -D -m 0755 "$repo_root/scripts/make-certs.sh" "$destdir$prefix/bin/nasq-make-certs"
install -D -m 0755 "$repo_root/scripts/new-token.sh" "$destdir$prefix/bin/nasq-new-token"
echo "install.sh: installed ${installed[*]} nasq-make-certs nasq-new-token into $destdir$prefix/bin"

install -D -m 0644 "$repo_root/deploy/README.md" "$destdir$prefix/share/doc/nasq/README.md"
install -D -m 0755 "$repo_root/deploy/slurm/nasq-worker.sbatch" \
  "$destdir$prefix/share/nasq/slurm/nasq-worker.sbatch"
install -D -m 0644 "$repo_root/deploy/slurm/README.md" "$destdir$prefix/share/nasq/slurm/README.md"
echo "install.sh: installed the Slurm job script into $destdir$prefix/share/nasq/slurm"
data_src="$repo_root/third_party/spam-assassin/data"
data_dst="$destdir$prefix/share/nasq/third_party/spam-assassin/data"
if [ -d "$data_src" ]; then
  rm -rf "$data_dst"
  mkdir -p "$(dirname "$data_dst")"
  cp -R "$data_src" "$data_dst"
  chmod -R u=rwX,go=rX "$data_dst"
  echo "install.sh: installed the SpamAssassin data into $data_dst"
else
  echo "install.sh: $data_src missing (scripts/fetch-data.sh fetches it), data skipped"
fi

[ "$with_systemd" -eq 1 ] || exit 0

# Units and env files name /usr/local; point them at the chosen prefix.
install_rewritten() {  # SRC DST MODE
  local tmp
  tmp=$(mktemp)
  sed "s#/usr/local/#$prefix/#g" "$1" > "$tmp"
  install -D -m "$3" "$tmp" "$2"
  rm -f "$tmp"
}
for unit in nasq-server.service nasq-worker@.service; do
  install_rewritten "$repo_root/deploy/systemd/$unit" "$destdir$unit_dir/$unit" 0644
done
echo "install.sh: installed nasq-server.service and nasq-worker@.service into $destdir$unit_dir"
for env in server.env worker.env; do
  dst="$destdir/etc/nasq/$env"
  if [ -e "$dst" ]; then
    echo "install.sh: kept existing $dst"
  else
    install_rewritten "$repo_root/deploy/systemd/$env" "$dst" 0644
    echo "install.sh: wrote $dst (edit it)"
  fi
done

[ -z "$destdir" ] || exit 0
if ! getent passwd nasq >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/nasq --no-create-home \
    --shell /usr/sbin/nologin nasq
  echo "install.sh: created the system user nasq"
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "install.sh: systemctl daemon-reload done; running units keep the old binary until restarted"
fi
