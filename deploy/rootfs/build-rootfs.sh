#!/usr/bin/env bash
# deploy/rootfs/build-rootfs.sh: builds the root file systems of the nasq-server and nasq-worker
# images from a build folder, without a container engine or a registry:
#
#   deploy/rootfs/build-rootfs.sh --build-dir build --out build/rootfs server worker
#
# OUT/server holds what deploy/docker/Dockerfile.server's runtime image holds: nasq-server and
# nasq in /usr/local/bin, curl (the health check) and sqlite3 (online backups), the user nasq
# (uid/gid 10001) and its database folder /var/lib/nasq. OUT/worker holds what
# Dockerfile.worker's holds: nasq-worker and nasq, the SpamAssassin data under /data (fetched by
# scripts/fetch-data.sh), /var/lib/nasq-worker and /var/cache/nasq-worker. Instead of Debian
# packages each tree gets exactly the shared libraries its programs load (the `ldd` closure,
# with the dynamic loader) in a usr-merged Debian layout, plus /etc/passwd, /etc/group,
# /etc/hosts and /etc/nsswitch.conf; /proc, /dev and /tmp are empty mount points.
#
# Files are hard links to the host's where OUT is on the same file system (free in time and
# space), copies elsewhere: treat the trees as read-only. Use them with
# deploy/rootfs/run-in-rootfs.sh (chroot, no engine), `tar -C OUT/server -c . | docker import`
# or `apptainer build nasq-server.sif OUT/server` (deploy/README.md, Containers).
#
# An existing OUT/NAME is replaced. Errors (a missing binary, a library ldd cannot find, missing
# data) exit 1 naming the problem; bad usage exits 2.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
usage() {
  echo "usage: $0 --build-dir DIR --out DIR {server|worker}..." >&2
  exit 2
}
fail() {
  echo "build-rootfs.sh: $*" >&2
  exit 1
}

build_dir="" out="" images=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) [[ $# -ge 2 ]] || usage; build_dir=$2; shift 2 ;;
    --out) [[ $# -ge 2 ]] || usage; out=$2; shift 2 ;;
    server|worker) images+=("$1"); shift ;;
    *) usage ;;
  esac
done
[[ -n $build_dir && -n $out && ${#images[@]} -gt 0 ]] || usage
[[ -d $build_dir ]] || fail "no build folder $build_dir"

# place SRC DEST: DEST becomes SRC's content (symlinks resolved), a hard link when possible.
place() {
  local src dest=$2
  src=$(readlink -f "$1")
  mkdir -p "$(dirname "$dest")"
  ln -f "$src" "$dest" 2>/dev/null || cp -f --preserve=mode "$src" "$dest"
}

# add_program TREE FILE: a Debian program (FILE under /usr/bin) at its own path, a built one in
# /usr/local/bin; then its shared libraries.
add_program() {
  local tree=$1 file=$2 dest
  [[ -x $file ]] || fail "missing program $file"
  if [[ $file == /usr/bin/* ]]; then dest=$tree$file; else dest=$tree/usr/local/bin/${file##*/}; fi
  place "$file" "$dest"
  local deps lib
  deps=$(ldd "$file")
  [[ $deps != *"not found"* ]] || fail "$file: ldd cannot find: $(grep 'not found' <<<"$deps")"
  # "name => /path (addr)", and the loader as "/lib64/ld-linux-x86-64.so.2 (addr)".
  for lib in $(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$deps"); do
    [[ -e $tree$lib ]] || place "$lib" "$tree$lib"
  done
}

# base_tree TREE HOME: the directories, users and name-service files both images share.
base_tree() {
  local tree=$1 home=$2
  rm -rf "$tree"
  mkdir -p "$tree"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,etc,proc,dev,sys,tmp,data}
  # Debian 12 is usr-merged: /bin, /lib, /lib64 and /sbin point into /usr.
  local dir
  for dir in bin lib lib64 sbin; do ln -s "usr/$dir" "$tree/$dir"; done
  chmod 1777 "$tree/tmp"
  cat >"$tree/etc/passwd" <<EOF
root:x:0:0:root:/root:/usr/sbin/nologin
nasq:x:10001:10001:nasq:$home:/usr/sbin/nologin
EOF
  printf 'root:x:0:\nnasq:x:10001:\n' >"$tree/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$tree/etc/hosts"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$tree/etc/nsswitch.conf"
}

# state_dirs TREE DIR...: folders owned by nasq, mode 0750 (the images' install -d).
state_dirs() {
  local tree=$1
  shift
  local dir
  for dir in "$@"; do
    install -d -o 10001 -g 10001 -m 0750 "$tree$dir"
  done
}

build_server() {
  local tree=$out/server
  base_tree "$tree" /var/lib/nasq
  add_program "$tree" "$build_dir/server/nasq-server"
  add_program "$tree" "$build_dir/cli/nasq"
  add_program "$tree" /usr/bin/curl
  add_program "$tree" /usr/bin/sqlite3
  state_dirs "$tree" /var/lib/nasq
}

build_worker() {
  local tree=$out/worker data=$root/third_party/spam-assassin/data
  [[ -d $data ]] || fail "no dataset at $data (run scripts/fetch-data.sh)"
  base_tree "$tree" /var/lib/nasq-worker
  add_program "$tree" "$build_dir/worker/app/nasq-worker"
  add_program "$tree" "$build_dir/cli/nasq"
  mkdir -p "$tree/data/third_party/spam-assassin"
  cp -rl "$data" "$tree/data/third_party/spam-assassin/" 2>/dev/null ||
    cp -r "$data" "$tree/data/third_party/spam-assassin/"
  state_dirs "$tree" /var/lib/nasq-worker /var/cache/nasq-worker
}

mkdir -p "$out"
for image in "${images[@]}"; do
  "build_$image"
  echo "build-rootfs.sh: $out/$image ($(du -sh --apparent-size "$out/$image" | cut -f1)," \
    "$(find "$out/$image" -type f | wc -l) files)"
done
