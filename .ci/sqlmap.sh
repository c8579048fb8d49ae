#!/usr/bin/env bash
# Runs sqlmap against every search and filter parameter of a demo server on loopback and fails if
# it finds an injection. Called by .ci/run; runnable alone: .ci/sqlmap.sh [path to the binary]
# (default: the debug binary in $CARGO_TARGET_DIR). Needs sqlmap and curl (apt install sqlmap curl).
# Method and last result: docs/SECURITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${1:-$TARGET/debug/geschillenportaal}
WORK=$(mktemp -d)
trap 'kill ${SERVER:-0} 2>/dev/null || true; rm -rf "$WORK"' EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
PORTAL_BIND="127.0.0.1:$PORT" PORTAL_BASE_URL="$BASE" PORTAL_DATA_DIR="$WORK" \
  PORTAL_DATABASE_URL="${SQLMAP_DATABASE_URL:-sqlite://$WORK/portal.db}" PORTAL_LOG_FILTER=warn \
  PORTAL_JWT_SECRET="sqlmap-run-signing-key-0123456789abcdef" \
  "$BIN" --config "$WORK/none.toml" serve --demo > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 150); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

cookie_of() { # email password -> Cookie header of a signed-in session
  local jar="$WORK/$1.jar" csrf
  csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$1" \
    --data-urlencode "password=$2" "$BASE/login"
  grep -v '^# ' "$jar" | sed 's/^#HttpOnly_//' | awk 'NF>=7 {printf "%s%s=%s", sep, $6, $7; sep="; "}'
}
SECRETARIAT=$(cookie_of secretariaat@demo.geschillenportaal.nl demo-secretariaat-2026)
ADMIN=$(cookie_of beheer@demo.geschillenportaal.nl demo-beheerder-2026)
CONSUMER=$(cookie_of consument@demo.geschillenportaal.nl demo-consument-2026)
[[ "$SECRETARIAT" == *portal_session* && "$ADMIN" == *portal_session* ]] || { echo "demo sign-in failed" >&2; exit 1; }

found=0
scan() { # url [cookie]
  local args=(-u "$1" --batch --level=2 --risk=1 --technique=BEUS --threads=2 
    --output-dir="$WORK/sqlmap" --disable-coloring)
  [ -n "${2:-}" ] && args+=(--cookie="$2" --skip=csrf_token)
  echo "---- sqlmap $1"
  local out
  out=$(sqlmap "${args[@]}" 2>&1 || true)
  echo "$out" | grep -E "all tested parameters|is vulnerable|injection point|does not seem to be injectable" || true
  echo "$out" > "$WORK/last-sqlmap.log"
  if echo "$out" | grep -qE "sqlmap identified the following injection point|is vulnerable"; then
    echo "!!!! injection found in $1"
    found=1
  elif ! echo "$out" | grep -q "all tested parameters do not appear to be injectable"; then
    # sqlmap did not get to test (server down, refused, a page error): that is not a pass.
    echo "$out" | tail -n 30
    echo "!!!! sqlmap did not complete its tests on $1"
    found=1
  fi
}
scan "$BASE/aangesloten?q=noord&date=2026-01-01"
scan "$BASE/api/v1/registry/providers?q=noord&date=2026-01-01"
scan "$BASE/dashboard?state=submitted&scheme=1&overdue=1&after=x" "$SECRETARIAT"
scan "$BASE/dashboard?state=mediation&after=x" "$CONSUMER"
scan "$BASE/dashboard/export.csv?state=submitted&scheme=1" "$SECRETARIAT"
scan "$BASE/secretariaat/aanbieders?q=noord&after=1" "$SECRETARIAT"
scan "$BASE/secretariaat/ledenlijst/export.csv?scheme=TEL" "$SECRETARIAT"
scan "$BASE/admin/users?role=consumer&after=1" "$ADMIN"
scan "$BASE/uitspraken?q=internet&scheme=TEL&category=billing&year=2026&outcome=upheld&provider=1&sort=date&page=1"
scan "$BASE/api/v1/rulings?q=internet&scheme=TEL&category=billing&year=2026&outcome=upheld&provider=1&sort=date&page=1"
scan "$BASE/statistieken?scheme=TEL"
if [ "$found" = 1 ]; then
  echo "sqlmap found an injection" >&2
  exit 1
fi
echo "sqlmap: no injection found in any search or filter parameter"
