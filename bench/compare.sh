#!/usr/bin/env bash
# Two builds on the same pages, alternated (docs/PERFORMANCE.md): runs of one scenario minutes apart
# differ by up to 30% on a shared machine, so a change is judged by builds taking turns on the same
# dataset, and by the ratio of their medians.
#
#   bench/compare.sh OLD_BINARY NEW_BINARY                     # SQLite, the 100,000-case dataset
#   BENCH_CASES=10000 BENCH_ROUNDS=3 bench/compare.sh old new
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/compare.sh old new
#   BENCH_PAGES="case membership" bench/compare.sh old new     # of: case queue membership names kvk newest word searches fresh storm
#
# Uses the dataset of bench/run.sh (run it once first; the same BENCH_CASES and BENCH_DATABASE_URL).
# Each round starts a server per build, signs in, and gives each page BENCH_DURATION of wrk.
# Needs: wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

[ $# = 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
BUILDS=("$(realpath "$1")" "$(realpath "$2")")
CASES=${BENCH_CASES:-100000}
ROUNDS=${BENCH_ROUNDS:-2}
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
PAGES=${BENCH_PAGES:-case queue membership}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  WORK="$TARGET/bench/postgres-$CASES"
  DATABASE_URL="${BENCH_DATABASE_URL%/*}/gp_bench_$CASES"
else
  WORK="$TARGET/bench/sqlite-$CASES"
  DATABASE_URL="sqlite://$WORK/portal.db"
fi
[ -f "$WORK/bench.env" ] || { echo "no dataset in $WORK: run bench/run.sh with the same settings first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$WORK/bench.env"
export PORTAL_DATA_DIR="$WORK" PORTAL_DATABASE_URL="$DATABASE_URL"
export PORTAL_JWT_SECRET="bench-signing-key-not-for-production-0123456789"
export BENCH_DIR="$ROOT/bench"
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT

measure() { # build index, binary: one server, every page once
  local port base server
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  # As in run.sh: the public limit on with an allowance wrk cannot use up, where the build has it.
  local limit=()
  grep -q public_requests_per_minute "$2" && limit=(PORTAL_PUBLIC_REQUESTS_PER_MINUTE=1000000000)
  env "${limit[@]}" PORTAL_BIND="127.0.0.1:$port" PORTAL_BASE_URL="$base" PORTAL_LOG_FILTER=warn \
    PORTAL_TRUSTED_PROXIES='["127.0.0.1"]' "$2" --config "$WORK/none.toml" serve > "$WORK/compare-server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.2; done
  sign_in() {
    local jar="$WORK/compare.jar" csrf
    rm -f "$jar"
    csrf=$(curl -s -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
    curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$1" \
      --data-urlencode "password=bench-wachtzin-lang-2026" "$base/login"
    grep -v '^# ' "$jar" | sed 's/^#HttpOnly_//' | awk 'NF>=7 {printf "%s%s=%s", sep, $6, $7; sep="; "}'
  }
  local consumer staff
  # As in run.sh: the sign-in limits of earlier runs are not what is measured.
  if [ -n "${BENCH_DATABASE_URL:-}" ]; then
    psql "$DATABASE_URL" -qc 'DELETE FROM rate_limits'
  else
    python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=30); c.execute("DELETE FROM rate_limits"); c.commit()' "$WORK/portal.db"
  fi
  consumer=$(sign_in "$BENCH_CONSUMER")
  staff=$(sign_in "$BENCH_STAFF")
  # The storm's sign-in form: a visitor's cookie and its CSRF token (bench/signin.lua).
  local anon="$WORK/compare-anon.jar"
  rm -f "$anon"
  BENCH_CSRF=$(curl -s -c "$anon" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
  BENCH_ANON_COOKIE=$(grep -v '^# ' "$anon" | sed 's/^#HttpOnly_//' | awk 'NF>=7 {printf "%s%s=%s", sep, $6, $7; sep="; "}')
  export BENCH_CSRF BENCH_ANON_COOKIE BENCH_CONSUMERS BENCH_PASSWORD=bench-wachtzin-lang-2026
  for page in $PAGES; do
    local path cookie="" script=report.lua
    case $page in
      case) path="/zaken/$BENCH_CASE_ID" cookie=$consumer ;;
      queue) path="/dashboard" cookie=$staff ;;
      membership) path="/aangesloten?q=Glasvezel" ;;
      kvk) path="/api/v1/registry/providers?q=$BENCH_PROVIDER_KVK" ;;
      newest) path="/uitspraken" ;;
      word) path="/uitspraken?q=internet" ;;
      searches) path="/uitspraken" script=searches.lua ;; # 30 words paged through (the script's)
      fresh) path="/uitspraken" script=fresh_searches.lua ;; # 1,350 searches, mostly not kept
      names) path="/aangesloten" script=fresh_membership.lua ;; # 10,000 providers' names, mostly not kept
      storm) path="/zaken/$BENCH_CASE_ID" cookie=$consumer ;; # the case page during a sign-in storm
      *) echo "unknown page $page" >&2; kill "$server"; exit 2 ;;
    esac
    local storm=""
    if [ "$page" = storm ]; then # 16 connections signing in, as in run.sh, from 2 s before to after
      wrk -t1 -c16 -d"$(( ${DURATION%s} + 4 ))s" -s "$ROOT/bench/signin.lua" "$base/login" > "$WORK/compare-storm.log" &
      storm=$!
      sleep 2
    fi
    read -r _ rps _ p99 _ errors < <(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Cookie: $cookie" \
      -s "$ROOT/bench/$script" "$base$path" | grep '^RESULT')
    if [ -n "$storm" ]; then # the storm's own sign-ins a second, as a page of its own
      wait "$storm"
      read -r _ srps _ sp99 _ serrors < <(grep '^RESULT' "$WORK/compare-storm.log")
      printf '%s %s %s %s %s\n' signins "$1" "$srps" "$sp99" "$serrors" >> "$RESULTS"
    fi
    printf '%s %s %s %s %s\n' "$page" "$1" "$rps" "$p99" "$errors" >> "$RESULTS"
    printf '  %-11s build %s: %6s req/s, p99 %6s ms, %s errors\n' "$page" "$1" "$rps" "$p99" "$errors"
  done
  kill "$server"
  wait "$server" 2>/dev/null || true
}

echo "# $CASES cases on ${BENCH_DATABASE_URL:+PostgreSQL}${BENCH_DATABASE_URL:-SQLite}; build 0 = $1, build 1 = $2"
for round in $(seq "$ROUNDS"); do
  echo "round $round"
  measure 0 "${BUILDS[0]}"
  measure 1 "${BUILDS[1]}"
done
python3 - "$RESULTS" <<'EOF'
import statistics, sys
runs, p99s = {}, {}
for line in open(sys.argv[1]):
    page, build, rps, p99, _errors = line.split()
    runs.setdefault(page, ([], []))[int(build)].append(float(rps))
    p99s.setdefault(page, ([], []))[int(build)].append(float(p99))
print(f"\n{'page':<12}{'build 0 req/s':>16}{'build 1 req/s':>16}{'1 / 0':>8}{'p99 ms 0':>10}{'p99 ms 1':>10}")
for page, (old, new) in runs.items():
    ratio = statistics.median(new) / statistics.median(old)
    p99_old, p99_new = (statistics.median(p) for p in p99s[page])
    print(f"{page:<12}{statistics.median(old):>16,.0f}{statistics.median(new):>16,.0f}{ratio:>8.2f}{p99_old:>10.1f}{p99_new:>10.1f}")
EOF
