#!/usr/bin/env bash
# deploy/rootfs/run-in-rootfs.sh: runs a program of a root file system made by build-rootfs.sh
# as the images run it (user nasq, uid 10001), without a container engine:
#
#   deploy/rootfs/run-in-rootfs.sh [--bind HOST_DIR:DIR]... [--workdir DIR] ROOTFS PROGRAM [ARGS...]
#
# In a private mount namespace (unshare --mount) it mounts /proc, the host's /dev and each
# --bind folder (read-only) into ROOTFS, then changes root to ROOTFS, the working directory to
# DIR (default /; the images' WORKDIR) and becomes uid/gid 10001 with no other groups.
# PROGRAM is a path inside ROOTFS, or a name in its /usr/local/bin. The mounts vanish with the
# program; nothing is left mounted on the host. The network, the process table and the
# environment are the caller's (set NASQ_* as the images' ENV lines do). The program replaces
# this script (exec), so signals sent to this pid reach it. Needs root. Exits with the program's
# status, 2 for bad usage, 1 when ROOTFS or PROGRAM is missing.
set -euo pipefail

usage() {
  echo "usage: $0 [--bind HOST_DIR:DIR]... [--workdir DIR] ROOTFS PROGRAM [ARGS...]" >&2
  exit 2
}
binds=() workdir=/
while [[ ${1:-} == --* ]]; do
  [[ $# -ge 2 ]] || usage
  case $1 in
    --bind) [[ $2 == *:/* ]] || usage; binds+=("$2") ;;
    --workdir) [[ $2 == /* ]] || usage; workdir=$2 ;;
    *) usage ;;
  esac
  shift 2
done
[[ $# -ge 2 ]] || usage
rootfs=$(readlink -f "$1")
shift
[[ -d $rootfs/proc && -d $rootfs/dev ]] || { echo "run-in-rootfs.sh: $rootfs is no root file system made by build-rootfs.sh" >&2; exit 1; }
program=$1
[[ $program == /* ]] || program=/usr/local/bin/$program
[[ -x $rootfs$program ]] || { echo "run-in-rootfs.sh: no program $program in $rootfs" >&2; exit 1; }
shift

# The inner script gets ROOTFS, the working directory, the binds (one newline-separated
# argument), then the program. The inner unshare makes no namespace: it only changes root,
# directory and user (--setgid also drops supplementary groups).
exec unshare --mount --propagation private bash -c '
  set -euo pipefail
  rootfs=$1 workdir=$2 binds=$3
  shift 3
  mount -t proc proc "$rootfs/proc"
  mount --rbind /dev "$rootfs/dev"
  while IFS= read -r bind; do
    [[ -n $bind ]] || continue
    mkdir -p "$rootfs${bind#*:}"
    mount --bind "${bind%%:*}" "$rootfs${bind#*:}"
    mount -o remount,bind,ro "$rootfs${bind#*:}"
  done <<<"$binds"
  exec unshare --root="$rootfs" --wd="$workdir" --setuid 10001 --setgid 10001 "$@"
' run-in-rootfs "$rootfs" "$workdir" "$(printf '%s\n' "${binds[@]+"${binds[@]}"}")" "$program" "$@"
