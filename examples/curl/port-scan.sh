#!/usr/bin/env bash
# Replays a port scan as a firewall reports it: one external address probes
# 25 distinct destination ports of one host within seconds, almost all
# denied. Sent as ECS JSON in one NDJSON batch; the shipped Sigma pack
# detects it (distinct destination.port per source.ip) after the parser and
# detector:
#
#   INGEST_URL=http://127.0.0.1:8080 examples/curl/port-scan.sh
#
# SCANNER_IP, TARGET_IP and INGEST_TOKEN (bearer, when auth is on) can be
# overridden from the environment.
set -euo pipefail

INGEST_URL="${INGEST_URL:-http://127.0.0.1:8080}"
SCANNER_IP="${SCANNER_IP:-198.51.100.23}"
TARGET_IP="${TARGET_IP:-10.0.0.5}"
auth=()
if [[ -n "${INGEST_TOKEN:-}" ]]; then
  auth=(-H "Authorization: Bearer ${INGEST_TOKEN}")
fi

ports=(21 22 23 25 53 80 110 111 135 139 143 443 445 993 995 1433 1723 3306 3389 5432 5900 5985 6379 8080 8443)
start_ms=$(($(date -u +%s) * 1000))
batch=""
for i in "${!ports[@]}"; do
  port="${ports[$i]}"
  # The firewall lets web traffic through and drops everything else.
  outcome=failure
  if [[ "$port" == "80" || "$port" == "443" ]]; then outcome=success; fi
  ts="$(date -u -d "@$(((start_ms + i * 400) / 1000))" '+%Y-%m-%dT%H:%M:%S').$(printf '%03d' $(((start_ms + i * 400) % 1000)))Z"
  batch+="{\"source_name\":\"fw-edge-01\",\"payload\":{\"@timestamp\":\"${ts}\",\"event\":{\"category\":\"network\",\"action\":\"connection\",\"outcome\":\"${outcome}\"},\"source\":{\"ip\":\"${SCANNER_IP}\",\"port\":$((40000 + i)),\"bytes\":60},\"destination\":{\"ip\":\"${TARGET_IP}\",\"port\":${port}},\"network\":{\"transport\":\"tcp\"},\"host\":{\"name\":\"fw-edge-01\"}}}"$'\n'
done

curl -sS --fail-with-body -X POST "${INGEST_URL}/events/batch" \
  -H 'Content-Type: application/x-ndjson' "${auth[@]}" --data-binary "$batch"
echo
