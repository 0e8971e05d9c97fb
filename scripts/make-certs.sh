#!/usr/bin/env bash
# Makes a private CA and a server and client certificate for nasq's TLS (docs/security.md).
#   scripts/make-certs.sh DIR HOST... [--days N]
# writes into DIR (created if missing): ca.pem ca.key (the CA: keep ca.key offline), server.pem
# server.key (for nasq-server --tls-cert/--tls-key, valid for every HOST: names and IP
# addresses clients dial, e.g. localhost 127.0.0.1 nasq.example.com) and client.pem client.key
# (a client certificate for mutual TLS: --tls-cert/--tls-key of nasq and nasq-worker). Keys are
# EC P-256, mode 600 (give the server's user read access to server.key, e.g. chgrp + mode 640);
# certificates mode 644. Clients trust the server with --tls-ca DIR/ca.pem. Default --days 365.
set -euo pipefail

days=365
hosts=()
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --days) days=$2; shift 2 ;;
    *) if [ -z "$dir" ]; then dir=$1; else hosts+=("$1"); fi; shift ;;
  esac
done
if [ -z "$dir" ] || [ ${#hosts[@]} -eq 0 ]; then
  echo "usage: $0 DIR HOST... [--days N]" >&2
  exit 2
fi

san=""
for h in "${hosts[@]}"; do
  if [[ "$h" =~ ^[0-9.]+$ || "$h" == *:* ]]; then san+="${san:+,}IP:$h"; else san+="${san:+,}DNS:$h"; fi
done

mkdir -p "$dir"
umask 077
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${newkey[@]}" -days "$days" -subj "/CN=nasq CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
for name in server client; do
  openssl req "${newkey[@]}" -subj "/CN=nasq-$name" \
    -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
  ext="$dir/$name.ext"
  if [ "$name" = server ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' > "$ext"
  fi
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days "$days" -extfile "$ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr" "$ext"
done
rm -f "$dir/ca.srl"
chmod 644 "$dir"/*.pem
echo "make-certs: $dir/{ca,server,client}.{pem,key} (server valid for ${hosts[*]})"
