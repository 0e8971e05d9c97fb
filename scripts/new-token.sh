#!/usr/bin/env bash
# Issues a nasq token (docs/security.md).
#   scripts/new-token.sh NAME ROLE TOKEN_FILE [EXPIRES] >> tokens.txt
# writes a new random token (32 bytes from openssl, hex, prefixed "nasq_") to TOKEN_FILE (mode
# 600; give it to the client: --token-file TOKEN_FILE) and prints the line for nasq-server's
# --auth-tokens file: "NAME ROLE SHA256-OF-TOKEN [EXPIRES]". ROLE is reader, worker or admin;
# EXPIRES an RFC 3339 time such as 2027-01-31T00:00:00Z. The server never sees the token itself.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 NAME ROLE TOKEN_FILE [EXPIRES] >> tokens.txt" >&2
  exit 2
fi
name=$1 role=$2 token_file=$3 expires=${4:-}
case "$role" in reader|worker|admin) ;; *) echo "$0: ROLE must be reader, worker or admin" >&2; exit 2;; esac
if [[ ! "$name" =~ ^[A-Za-z0-9._@-]+$ ]]; then
  echo "$0: NAME may hold letters, digits and . _ @ - only" >&2
  exit 2
fi
if [ -n "$expires" ] && ! date -d "$expires" >/dev/null 2>&1; then
  echo "$0: EXPIRES '$expires' is not a time (use RFC 3339, e.g. 2027-01-31T00:00:00Z)" >&2
  exit 2
fi

token="nasq_$(openssl rand -hex 32)"
(umask 077 && printf '%s\n' "$token" > "$token_file")
hash=$(printf '%s' "$token" | openssl dgst -sha256 -r | cut -d' ' -f1)
echo "$name $role $hash${expires:+ $expires}"
