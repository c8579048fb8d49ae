#!/usr/bin/env bash
# Runs schemathesis (property-based API testing from the OpenAPI document) against a demo server on
# loopback and fails on any 5xx, any answer that breaks the documented schema, status code or content
# type. Called by .ci/run; runnable alone: .ci/schemathesis.sh [path to the binary] (default: the
# debug binary in $CARGO_TARGET_DIR). Installs schemathesis from PyPI into a virtualenv under
# $CARGO_TARGET_DIR when missing. Method and last result: docs/SECURITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${1:-$TARGET/debug/geschillenportaal}
VENV="$TARGET/schemathesis-venv"
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'schemathesis>=4.3,<5'
fi
WORK=$(mktemp -d)
trap 'kill ${SERVER:-0} 2>/dev/null || true; rm -rf "$WORK"' EXIT

# shellcheck source=.ci/demo-server.sh
source .ci/demo-server.sh
start_demo_server "$BIN" "$WORK" "${SCHEMATHESIS_DATABASE_URL:-sqlite://$WORK/portal.db}"

token_of() { # cookie -> a new personal API token with write scope, made on the settings page
  local csrf
  csrf=$(curl -s -H "Cookie: $1" "$BASE/settings/api-tokens" | csrf_of)
  curl -s -H "Cookie: $1" -H "Origin: $BASE" --data-urlencode "csrf_token=$csrf" --data-urlencode name=schemathesis \
    --data-urlencode scope=write --data-urlencode days=1 "$BASE/settings/api-tokens" |
    sed -n 's/.*id="new-token">\([^<]*\)<.*/\1/p'
}

failed=0
fuzz() { # who email password [token]: consumers use their session (the intake API), staff a token
  local cookie auth=()
  cookie=$(cookie_of "$2" "$3")
  [[ "$cookie" == *portal_session* ]] || { echo "sign-in failed for $2" >&2; exit 1; }
  auth=(--header "Cookie: $cookie")
  if [ "${4:-}" = token ]; then
    local token
    token=$(token_of "$cookie")
    [ -n "$token" ] || { echo "no API token for $2" >&2; exit 1; }
    auth+=(--header "Authorization: Bearer $token")
  fi
  echo "---- schemathesis as the $1 ($2)"
  if ! "$VENV/bin/st" run "$BASE/api/v1/openapi.json" --url "$BASE" "${auth[@]}" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --seed 2026 --workers 1 --request-timeout 10 \
      --generation-database none --no-color --report junit --report-dir "$WORK/report-$1"; then
    failed=1
    cp -r "$WORK/report-$1" "$TARGET/schemathesis-report-$1" 2>/dev/null || true
  fi
}
fuzz consumer consument@demo.geschillenportaal.nl demo-consument-2026
fuzz provider medewerker@noordnet.demo.geschillenportaal.nl demo-aanbieder-2026 token
fuzz secretariat secretariaat@demo.geschillenportaal.nl demo-secretariaat-2026 token

# Errors the server logged, except actix's note that a client sent a malformed header (the
# fuzzer does, on purpose; the answer is a 400).
if grep -E "panicked|ERROR" "$WORK/server.log" | grep -v "request parse error" | grep -q .; then
  echo "!!!! the server logged errors during the run:"
  grep -E "panicked|ERROR" "$WORK/server.log" | grep -v "request parse error" | head -n 20
  failed=1
fi
if [ "$failed" = 0 ]; then
  echo "schemathesis: no 5xx, no answer outside the OpenAPI document"
fi
exit "$failed"
