#!/usr/bin/env bash
# POSTs every example payload (examples/payloads/*.json) to a running
# sentinel-ingest and prints the answer of each. Exits non-zero if any is not
# accepted (202).
#
#   INGEST_URL=http://127.0.0.1:8080 examples/curl/post-all.sh
#   INGEST_TOKEN=<secret> examples/curl/post-all.sh     # when auth is on
set -euo pipefail

INGEST_URL="${INGEST_URL:-http://127.0.0.1:8080}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
auth=()
if [[ -n "${INGEST_TOKEN:-}" ]]; then
  auth=(-H "Authorization: Bearer ${INGEST_TOKEN}")
fi

failed=0
for f in "$here"/../payloads/*.json; do
  out="$(curl -sS -o /dev/stderr -w '%{http_code}' -X POST "${INGEST_URL}/events" \
    -H 'Content-Type: application/json' "${auth[@]}" --data-binary "@$f" 2>&1)" || true
  code="${out: -3}"
  body="${out%???}"
  printf '%s %s %s\n' "$code" "$(basename "$f")" "$body"
  [[ "$code" == "202" ]] || failed=$((failed + 1))
done
if ((failed > 0)); then
  echo "$failed payload(s) not accepted" >&2
  exit 1
fi
