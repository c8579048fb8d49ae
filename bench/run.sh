#!/usr/bin/env bash
# The load benchmark (docs/PERFORMANCE.md). Not part of CI's pass/fail.
#
#   bench/run.sh                                   # SQLite, 100,000 cases, 1,000,000 messages
#   BENCH_CASES=10000 bench/run.sh                 # the small dataset, for the 10k-vs-100k comparison
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/run.sh   # on PostgreSQL
#   BENCH_BIN=/path/to/other/geschillenportaal bench/run.sh   # measure another build on the same dataset
#   BENCH_RULING_WORDS=0 bench/run.sh              # the published rulings as short as before session 15
#
# Builds the release binary, generates the dataset once (`geschillenportaal bench-data`; kept under
# $CARGO_TARGET_DIR/bench/ and reused; BENCH_FRESH=1 regenerates), starts the server on loopback,
# and drives it with wrk, printing req/s, p50/p99 and the server's peak memory per scenario.
# Needs: wrk, curl, python3 (apt install wrk curl python3); psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CASES=${BENCH_CASES:-100000}
MESSAGES=${BENCH_MESSAGES:-$((CASES * 10))}
PROVIDERS=${BENCH_PROVIDERS:-2000}
CONSUMERS=${BENCH_CONSUMERS:-$((CASES / 5))}
RULING_WORDS=${BENCH_RULING_WORDS:-1500}
DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export BENCH_DIR="$ROOT/bench"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt install $tool)" >&2; exit 1; }
done

if [ -n "${BENCH_BIN:-}" ]; then # another build, to compare two (docs/PERFORMANCE.md)
  BIN=$(realpath "$BENCH_BIN")
else
  cargo build --release --locked --quiet
  BIN="$TARGET/release/geschillenportaal"
fi

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  BACKEND=postgres
  WORK="$TARGET/bench/postgres-$CASES"
  DB_NAME="gp_bench_$CASES"
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

# A dataset is reused only if its rulings are as long as asked and its word index was merged as the
# worker merges it (datasets from before session 15 say neither).
if [ "${BENCH_FRESH:-0}" = 1 ] || ! grep -qx "BENCH_RULING_WORDS=$RULING_WORDS" "$WORK/bench.env" 2>/dev/null \
  || ! grep -qx "BENCH_INDEX_MERGED=1" "$WORK/bench.env"; then
  rm -f "$WORK/bench.env" "$WORK"/portal.db*
  if [ "$BACKEND" = postgres ]; then
    psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
    psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $DB_NAME"
  fi
  echo "== generating $PROVIDERS providers, $CONSUMERS consumers, $CASES cases, $MESSAGES messages," \
    "rulings of $RULING_WORDS words on $BACKEND"
  "$BIN" "${CONFIG[@]}" bench-data --providers "$PROVIDERS" --consumers "$CONSUMERS" \
    --cases "$CASES" --messages "$MESSAGES" --ruling-words "$RULING_WORDS" | tee "$WORK/generate.log"
  grep '^BENCH_' "$WORK/generate.log" > "$WORK/bench.env"
fi
# shellcheck disable=SC1091
source "$WORK/bench.env"
export BENCH_CONSUMERS BENCH_PASSWORD=bench-wachtzin-lang-2026

# A dataset made by an older build gets the newer migrations before the server starts (the register's
# postings, migration 000020, take ~4 minutes at 100,000 cases on PostgreSQL: more than the wait for the
# server below), and their new tables vacuumed and analysed, as autovacuum would leave them.
if "$BIN" "${CONFIG[@]}" migrate | grep -q '^applied [1-9]'; then
  if [ "$BACKEND" = postgres ]; then psql "$DATABASE_URL" -qc "VACUUM (ANALYZE)"; fi
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
# wrk asks from one address: the public pages' per-address limit stays on (its cost is measured) with
# an allowance wrk cannot use up. Builds from before the limit (session 11) do not know the setting.
LIMIT=()
grep -q public_requests_per_minute "$BIN" && LIMIT=(PORTAL_PUBLIC_REQUESTS_PER_MINUTE=1000000000)
env "${LIMIT[@]}" PORTAL_BIND="127.0.0.1:$PORT" PORTAL_BASE_URL="$BASE" PORTAL_LOG_FILTER=warn \
  PORTAL_TRUSTED_PROXIES='["127.0.0.1"]' "$BIN" "${CONFIG[@]}" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

cookie_header() { grep -v '^# ' "$1" | sed 's/^#HttpOnly_//' | awk 'NF>=7 {printf "%s%s=%s", sep, $6, $7; sep="; "}'; }
csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1; }
sign_in() { # email -> cookie header of a signed-in session
  local jar="$WORK/$1.jar"
  rm -f "$jar"
  local csrf
  csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | csrf_of)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$1" \
    --data-urlencode "password=$BENCH_PASSWORD" "$BASE/login"
  cookie_header "$jar"
}
# The sign-in limits (10 an account and 50 an address in 15 minutes, counted in the database) are
# not what is measured: repeated runs on one dataset sign the same accounts in from 127.0.0.1.
forget_sign_ins() {
  if [ "$BACKEND" = postgres ]; then
    psql "$DATABASE_URL" -qc 'DELETE FROM rate_limits'
  else
    python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=30); c.execute("DELETE FROM rate_limits"); c.commit()' "$WORK/portal.db"
  fi
}
forget_sign_ins
CONSUMER_COOKIE=$(sign_in "$BENCH_CONSUMER")
STAFF_COOKIE=$(sign_in "$BENCH_STAFF")
ANON_JAR="$WORK/anon.jar"
rm -f "$ANON_JAR"
BENCH_CSRF=$(curl -s -c "$ANON_JAR" "$BASE/login" | csrf_of)
BENCH_ANON_COOKIE=$(cookie_header "$ANON_JAR")
export BENCH_CSRF BENCH_ANON_COOKIE

count_cases() { # the cases in the benchmark's database, to check what the filing scenario reports
  if [ "$BACKEND" = postgres ]; then
    psql "$DATABASE_URL" -Atc 'SELECT count(*) FROM cases'
  else
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM cases").fetchone()[0])' "$WORK/portal.db"
  fi
}
backlog() { # cases whose statistics the worker has still to derive (a reused dataset's last filings)
  if [ "$BACKEND" = postgres ]; then
    psql "$DATABASE_URL" -Atc 'SELECT count(*) FROM case_figures_stale'
  else
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM case_figures_stale").fetchone()[0])' "$WORK/portal.db"
  fi
}
# The in-process worker first derives the statistics of the cases the previous run filed; measuring
# meanwhile would give the first scenario two cores shared with it.
for _ in $(seq 120); do [ "$(backlog)" = 0 ] && break; sleep 1; done
peak_mb() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status"; }
printf '\n%-34s %9s %9s %9s %9s %7s %9s\n' scenario req/s p50_ms p99_ms requests errors peak_MB
row() { # name, RESULT line
  read -r _ rps p50 p99 n errors <<<"$2"
  printf '%-34s %9s %9s %9s %9s %7s %9s\n' "$1" "$rps" "$p50" "$p99" "$n" "$errors" "$(peak_mb)"
}
check() { # path, cookie: refuse to measure an error page
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $2" "$BASE$1")
  [ "$status" = 200 ] || { echo "GET $1 answers $status, not 200; see $WORK/server.log" >&2; exit 1; }
}
get() { # name, path, cookie, [connections]
  check "$2" "$3"
  row "$1" "$(wrk -t"$THREADS" -c"${4:-$CONNECTIONS}" -d"$DURATION" -H "Cookie: $3" -s "$BENCH_DIR/report.lua" \
    "$BASE$2" | grep '^RESULT')"
}

echo "# $BACKEND, $CASES cases, $MESSAGES messages; $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
get "consumer case page" "/zaken/$BENCH_CASE_ID" "$CONSUMER_COOKIE"
get "provider queue (dashboard)" "/dashboard" "$STAFF_COOKIE"
get "membership check (page)" "/aangesloten?q=Glasvezel" ""
get "membership check (API, KvK)" "/api/v1/registry/providers?q=$BENCH_PROVIDER_KVK" ""
row "membership check (fresh names)" "$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$BENCH_DIR/fresh_membership.lua" \
  "$BASE/aangesloten" | grep '^RESULT')"
row "sign-in (argon2)" "$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$BENCH_DIR/signin.lua" "$BASE/login" | grep '^RESULT')"

# A sign-in storm in the background while the read pages are measured again.
wrk -t1 -c16 -d"$(( ${DURATION%s} * 2 + 4 ))s" -s "$BENCH_DIR/signin.lua" "$BASE/login" > "$WORK/storm.log" &
STORM=$!
sleep 2
get "case page during sign-in storm" "/zaken/$BENCH_CASE_ID" "$CONSUMER_COOKIE"
get "provider queue during sign-in storm" "/dashboard" "$STAFF_COOKIE"
wait $STORM
row "  (the storm itself)" "$(grep '^RESULT' "$WORK/storm.log")"

get "ruling search (word)" "/uitspraken?q=internet" ""
row "ruling search (paging, 1,500)" "$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$BENCH_DIR/searches.lua" \
  "$BASE/uitspraken" | grep '^RESULT')"
row "ruling search (fresh searches)" "$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$BENCH_DIR/fresh_searches.lua" \
  "$BASE/uitspraken" | grep '^RESULT')"
get "ruling search (newest, no words)" "/uitspraken" ""

# Filing (writes): each wrk thread files as its own consumer through the intake API, two requests
# per case (the draft with every answer, then submit; bench/filing.lua). Counted are the cases filed.
# Other consumers on every run: a reused dataset keeps the drafts a run left open, and a consumer
# may have at most 20.
FILING_COOKIES=""
FIRST_FILER=$(( $(date +%s) % (BENCH_CONSUMERS - THREADS - 1) + 2 ))
for n in $(seq "$FIRST_FILER" $((FIRST_FILER + THREADS - 1))); do
  FILING_COOKIES="$FILING_COOKIES$(sign_in "consument$n@bench.example")|"
done
COMPLAINT_DATE=$(date -u -d '35 days ago' +%F)
BENCH_FILING_DRAFT=$(printf '{"counterparty":"company","applicant_is_consumer":true,"provider_id":%s,"category":"outage_speed","before_court_or_other_body":false,"contract_date":"2024-05-01","written_complaint_channel":"registered_letter","written_complaint_date":"%s","provider_answer":"none","desired_outcome":"Storing verhelpen en de maanden zonder internet terugbetalen","claim_cents":4500,"description":"Sinds maart valt het internet elke avond weg; de storingsmeldingen heb ik bewaard."}' \
  "$BENCH_PROVIDER_ID" "$COMPLAINT_DATE")
export BENCH_FILING_COOKIES="$FILING_COOKIES" BENCH_FILING_DRAFT
before=$(count_cases)
row "filing a case (cases/s)" "$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$BENCH_DIR/filing.lua" \
  "$BASE/api/v1/intake/drafts" | grep '^RESULT')"
echo "  cases in the database: $before before, $(count_cases) after"
echo "server peak memory (VmHWM): $(peak_mb) MB"
