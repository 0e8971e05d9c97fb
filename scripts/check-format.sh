#!/usr/bin/env bash
# Checks that every tracked C++ file (*.h, *.cc; not third_party/ or generated *.pb.*) is
# formatted as .clang-format says: prints the files clang-format would change and exits 1 when
# there is any. With --fix, reformats those files in place instead.
# Usage: scripts/check-format.sh [--fix]   (CLANG_FORMAT overrides clang-format-14)
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: scripts/check-format.sh [--fix]" >&2; exit 2 ;;
esac
clang_format=${CLANG_FORMAT:-clang-format-14}
command -v "$clang_format" >/dev/null ||
  { echo "check-format.sh: $clang_format not found (scripts/install-deps.sh)" >&2; exit 2; }

mapfile -t files < <(git ls-files -- '*.h' '*.cc' ':!:third_party/**' ':!:*.pb.h' ':!:*.pb.cc')
present=()
for f in "${files[@]}"; do [ -f "$f" ] && present+=("$f"); done  # not deleted in the worktree
# One run over all files; each change is reported as "FILE:LINE:COL: error: code should be
# clang-formatted".
status=0
report=$("$clang_format" --dry-run -Werror "${present[@]}" 2>&1) || status=$?
mapfile -t differ < <(printf '%s\n' "$report" |
  sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
if [ "$status" -ne 0 ] && [ ${#differ[@]} -eq 0 ]; then
  printf '%s\n' "$report" >&2  # clang-format failed for another reason
  exit 2
fi
if [ ${#differ[@]} -eq 0 ]; then
  echo "check-format: all ${#present[@]} files are formatted"
  exit 0
fi
if [ "$fix" -eq 1 ]; then
  "$clang_format" -i "${differ[@]}"
  printf 'check-format: reformatted %s\n' "${differ[@]}"
  exit 0
fi
printf '%s\n' "${differ[@]}"
echo "check-format: ${#differ[@]} of ${#present[@]} files differ from .clang-format;" \
  "run scripts/check-format.sh --fix" >&2
exit 1
