#!/usr/bin/env bash
# Runs rciam's main job end to end against a moto_server it starts on
# 127.0.0.1 (a free port) and stops afterwards: plan → apply → outputs →
# re-plan → verify → doctor → destroy. No traffic leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v moto_server >/dev/null || { echo "demo: moto_server not found on PATH" >&2; exit 1; }
go build -o bin/rciam ./cmd/rciam

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp)
moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null && break; sleep 0.1; done

# moto accepts any credentials; these are dummies for its default account.
export AWS_ACCESS_KEY_ID=AKIADEMO000000000000 AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# The bundled policy documents instead of the published ones: nothing is fetched.
export RCIAM_POLICY_SOURCE=docs-v1

# Bold command lines on a terminal only: piped, the demo is plain text.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }
step bin/rciam plan
step bin/rciam apply --yes
step bin/rciam outputs --format hand
step bin/rciam plan --detailed-exitcode
step bin/rciam verify
step bin/rciam doctor
step bin/rciam destroy --yes
