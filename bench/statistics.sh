#!/usr/bin/env bash
# The hourly statistics computation alone (docs/PERFORMANCE.md). On the dataset of bench/run.sh
# (the same BENCH_CASES, BENCH_MESSAGES, BENCH_DATABASE_URL; generated here if missing), each run
# starts a new release server and times the first view of /statistieken?scheme=TEL, which computes
# the scheme's figures (later views in the hour come from the cache), printing the server's peak
# memory (VmHWM) before it (after a first view of the page without a scheme) and after it.
#
#   bench/statistics.sh                                  # SQLite, 100,000 cases, 3 runs
#   BENCH_RUNS=5 BENCH_CASES=1000000 BENCH_MESSAGES=1000000 bench/statistics.sh
#   BENCH_BIN=/path/to/other/geschillenportaal bench/statistics.sh   # another build, same dataset
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_DB_NAME=gp_bench_mine bench/statistics.sh
# Needs: curl, python3; psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CASES=${BENCH_CASES:-100000}
MESSAGES=${BENCH_MESSAGES:-$((CASES * 10))}
PROVIDERS=${BENCH_PROVIDERS:-2000}
CONSUMERS=${BENCH_CONSUMERS:-$((CASES / 5))}
RUNS=${BENCH_RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release --locked --quiet
fi
BIN=${BENCH_BIN:-$TARGET/release/geschillenportaal}

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  BACKEND=postgres
  WORK="$TARGET/bench/postgres-$CASES"
  DB_NAME=${BENCH_DB_NAME:-gp_bench_$CASES}
  DATABASE_URL="${BENCH_DATABASE_URL%/*}/$DB_NAME"
else
  BACKEND=sqlite
  WORK="$TARGET/bench/sqlite-$CASES"
  DATABASE_URL="sqlite://$WORK/portal.db"
fi
mkdir -p "$WORK"
export PORTAL_DATA_DIR="$WORK" PORTAL_DATABASE_URL="$DATABASE_URL"
export PORTAL_JWT_SECRET="bench-signing-key-not-for-production-0123456789"
CONFIG=(--config "$WORK/none.toml")

if [ ! -f "$WORK/bench.env" ]; then
  rm -f "$WORK"/portal.db*
  if [ "$BACKEND" = postgres ]; then
    psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
    psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $DB_NAME"
  fi
  echo "== generating $PROVIDERS providers, $CONSUMERS consumers, $CASES cases, $MESSAGES messages on $BACKEND"
  "$BIN" "${CONFIG[@]}" bench-data --providers "$PROVIDERS" --consumers "$CONSUMERS" \
    --cases "$CASES" --messages "$MESSAGES" | tee "$WORK/generate.log"
  grep '^BENCH_' "$WORK/generate.log" > "$WORK/bench.env"
fi

echo "# $BACKEND, $CASES cases; $BIN"
printf '%-4s %12s %14s %13s\n' run first_view_s peak_before_MB peak_after_MB
for run in $(seq "$RUNS"); do
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  BASE="http://127.0.0.1:$PORT"
  PORTAL_BIND="127.0.0.1:$PORT" PORTAL_BASE_URL="$BASE" PORTAL_LOG_FILTER=warn \
    "$BIN" "${CONFIG[@]}" serve > "$WORK/statistics-server.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done
  peak_mb() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status"; }
  # The page without a scheme first (no figures): what a first page view costs is not counted.
  curl -fs -o /dev/null "$BASE/statistieken"
  before=$(peak_mb)
  took=$(curl -fs -o /dev/null -w '%{time_total}' "$BASE/statistieken?scheme=TEL")
  printf '%-4s %12s %14s %13s\n' "$run" "$took" "$before" "$(peak_mb)"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
done
