#!/usr/bin/env bash
# Replays an SSH brute force as sshd writes it to syslog: 12 failed
# password attempts (mostly for one user) from one public address within
# seconds, then a successful login from the same address. The shipped Sigma
# pack detects it ("SSH brute force attempts", and the failures-then-success
# correlation) once the events pass the parser and detector:
#
#   sentinel-ingest --port 8080 | sentinel-parser | sentinel-detector --rules ./sigma
#   INGEST_URL=http://127.0.0.1:8080 examples/curl/brute-force-ssh.sh
#
# ATTACKER_IP, TARGET_HOST and INGEST_TOKEN (bearer, when auth is on) can be
# overridden from the environment.
set -euo pipefail

INGEST_URL="${INGEST_URL:-http://127.0.0.1:8080}"
ATTACKER_IP="${ATTACKER_IP:-203.0.113.9}"
TARGET_HOST="${TARGET_HOST:-web-01}"
auth=()
if [[ -n "${INGEST_TOKEN:-}" ]]; then
  auth=(-H "Authorization: Bearer ${INGEST_TOKEN}")
fi

send() {
  curl -sS --fail-with-body -X POST "${INGEST_URL}/events" \
    -H 'Content-Type: text/plain' -H 'X-Source-Name: sshd' "${auth[@]}" \
    --data-binary "$1"
  echo
}

# RFC 3164 timestamps from now on, one attempt per second.
start=$(date -u +%s)
stamp() { LC_ALL=C date -u -d "@$((start + $1))" '+%b %e %H:%M:%S'; }

users=(admin admin admin root admin admin admin admin oracle admin admin admin)
for i in "${!users[@]}"; do
  user="${users[$i]}"
  port=$((52300 + i))
  if [[ "$user" == "admin" ]]; then
    line="$(stamp "$i") ${TARGET_HOST} sshd[$((4100 + i))]: Failed password for ${user} from ${ATTACKER_IP} port ${port} ssh2"
  else
    line="$(stamp "$i") ${TARGET_HOST} sshd[$((4100 + i))]: Failed password for invalid user ${user} from ${ATTACKER_IP} port ${port} ssh2"
  fi
  send "$line"
done
send "$(stamp 13) ${TARGET_HOST} sshd[4200]: Accepted password for admin from ${ATTACKER_IP} port 52399 ssh2"
