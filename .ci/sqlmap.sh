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

# shellcheck source=.ci/demo-server.sh
source .ci/demo-server.sh
start_demo_server "$BIN" "$WORK" "${SQLMAP_DATABASE_URL:-sqlite://$WORK/portal.db}"

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
