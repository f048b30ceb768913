# Sourced by the scripts that drive the real binary (tests/clients,
# tests/conformance). Builds leadsim, starts it on a free loopback port with
# the given flags, sets $base to its URL and stops it when the script exits.
#
# Usage: start_leadsim <log file> [leadsim flags...]
start_leadsim() {
  local log=$1
  shift
  cargo build -q --bin leadsim
  ./target/debug/leadsim --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  leadsim_pid=$!
  trap 'kill $leadsim_pid 2>/dev/null || true; wait $leadsim_pid 2>/dev/null || true' EXIT
  base=""
  for _ in $(seq 1 100); do
    base=$(grep -o 'listening on http://[0-9.:]*' "$log" | sed 's/listening on //' || true)
    [[ -n $base ]] && return 0
    sleep 0.1
  done
  cat "$log"
  echo "leadsim did not start"
  exit 1
}
