# Sourced by .ci/sqlmap.sh and .ci/schemathesis.sh: a demo server on a free loopback port and
# signed-in sessions for its accounts.

# start_demo_server BIN WORK DATABASE_URL: sets BASE and SERVER (the pid); logs to $WORK/server.log.
start_demo_server() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  BASE="http://127.0.0.1:$port"
  # The scanners send thousands of requests from one address: the public pages' per-address limit
  # (tested in tests/api/security.rs) is switched off so that they scan instead of being refused.
  PORTAL_BIND="127.0.0.1:$port" PORTAL_BASE_URL="$BASE" PORTAL_DATA_DIR="$2" \
    PORTAL_DATABASE_URL="$3" PORTAL_LOG_FILTER=warn PORTAL_PUBLIC_REQUESTS_PER_MINUTE=0 \
    PORTAL_JWT_SECRET="ci-demo-server-signing-key-0123456789abcdef" \
    "$1" --config "$2/none.toml" serve --demo > "$2/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 150); do curl -fs "$BASE/healthz" >/dev/null && return 0; sleep 0.2; done
  echo "the demo server did not start; see $2/server.log" >&2
  return 1
}

csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1; }

# cookie_of EMAIL PASSWORD: the Cookie header of a signed-in session (uses $WORK for its jar).
cookie_of() {
  local jar="$WORK/$1.jar" csrf
  csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | csrf_of)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$1" \
    --data-urlencode "password=$2" "$BASE/login"
  grep -v '^# ' "$jar" | sed 's/^#HttpOnly_//' | awk 'NF>=7 {printf "%s%s=%s", sep, $6, $7; sep="; "}'
}
