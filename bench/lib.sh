# Sourced by the benchmark scripts: the tools they need, a work directory
# removed at exit with every server they started (listed in `pids`),
# waiting for a server to answer, and a process's RSS (MB) and CPU (clock
# ticks).
needs() { # needs TOOL...: exits 2 naming the Debian package of the first missing
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null && continue
    case $tool in taskset) echo "needs taskset (apt-get install util-linux)" ;; *) echo "needs $tool (apt-get install $tool)" ;; esac
    exit 2
  done
}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
wait_healthy() { for _ in $(seq 1 200); do curl -s -o /dev/null "http://$1/" && return; sleep 0.02; done; echo "server on $1 did not start"; exit 1; }
rss() { awk '/^VmRSS:/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
