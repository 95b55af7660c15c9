#!/usr/bin/env bash
# Sends a log file (one event per line: syslog, access log, CEF, JSON…) to a
# running sentinel-ingest as gzip-compressed text batches of at most 5,000
# lines, and prints how many events each batch had accepted (or the error).
# Exits non-zero if any batch is not accepted (202).
#
#   examples/curl/post-log-file.sh /var/log/auth.log
#   INGEST_URL=http://127.0.0.1:8080 SOURCE_NAME=web-01 examples/curl/post-log-file.sh access.log
#   INGEST_TOKEN=<secret> examples/curl/post-log-file.sh auth.log     # when auth is on
set -euo pipefail

file="${1:?usage: post-log-file.sh FILE}"
INGEST_URL="${INGEST_URL:-http://127.0.0.1:8080}"
headers=(-H 'Content-Type: text/plain' -H 'Content-Encoding: gzip')
if [[ -n "${SOURCE_NAME:-}" ]]; then
  headers+=(-H "X-Source-Name: ${SOURCE_NAME}")
fi
if [[ -n "${INGEST_TOKEN:-}" ]]; then
  headers+=(-H "Authorization: Bearer ${INGEST_TOKEN}")
fi

chunks="$(mktemp -d)"
trap 'rm -rf "$chunks"' EXIT
split -l 5000 -- "$file" "$chunks/part-"
shopt -s nullglob
parts=("$chunks"/part-*)
if ((${#parts[@]} == 0)); then
  echo "$file is empty: nothing sent" >&2
  exit 0
fi

failed=0
for part in "${parts[@]}"; do
  gzip -c "$part" >"$part.gz"
  out="$(curl -sS -o /dev/stderr -w '%{http_code}' -X POST "${INGEST_URL}/events/batch" \
    "${headers[@]}" --data-binary "@$part.gz" 2>&1)" || true
  code="${out: -3}"
  body="${out%???}"
  if [[ "$code" == "202" ]]; then
    printf '%s %s\n' "$code" "$(grep -o '"accepted":[0-9]*' <<<"$body")"
  else
    printf '%s %s\n' "$code" "$body"
    failed=$((failed + 1))
  fi
done
if ((failed > 0)); then
  echo "$failed batch(es) not accepted" >&2
  exit 1
fi
