#!/usr/bin/env bash
# Instructions per request of the hot routes run in process (the route_*
# benches of benches/hot_paths.rs: the whole application, no sockets),
# counted by callgrind: the difference between a run of 3N requests and one
# of N, so start-up cancels out. Req/s over loopback on this shared VM moved
# 10-25% between runs of unchanged code; these counts repeat within 1-2%
# (timers and amortised growth move a little), so a cut or a regression
# shows. Prints a verdict against the ceilings checked in at
# bench/instructions.tsv: a route more than 3% above its ceiling is
# reported, and the script exits 1.
#
# Counts are valgrind's, not the CPU's: under valgrind sha2 takes its
# portable code path (the CPU's SHA instructions are not emulated), so the
# routes that derive seeded uuids (submitLead, Offer Search create) count
# several times the instructions SHA-256 costs natively.
#
#   bench/instructions.sh [N] [ROUTE...]      (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
shift || true
source bench/lib.sh
needs valgrind
bench=$(cargo bench --bench hot_paths --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
[[ -x $bench ]] || { echo "could not build benches/hot_paths.rs"; exit 2; }
routes=("$@")
[[ ${#routes[@]} -gt 0 ]] || mapfile -t routes < <(awk -F'\t' '!/^#/ && NF >= 2 {print $1}' bench/instructions.tsv)
count() { # count ROUTE SAMPLES: instructions of the whole run
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bench" --bench --exact "hot_paths::$1" \
    --sample-count "$2" --sample-size 1 >/dev/null 2>"$work/cg.log"
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/cg.log"
}
echo "leadsim $(git describe --always --dirty 2>/dev/null || echo '?'); $(valgrind --version); N=$N"
printf '%-28s %14s %14s  %s\n' route "instr/request" ceiling verdict
status=0
for route in "${routes[@]}"; do
  small=$(count "$route" "$N")
  large=$(count "$route" $((3 * N)))
  per=$(( (large - small) / (2 * N) ))
  ceiling=$(awk -F'\t' -v r="$route" '$1 == r {print $2}' bench/instructions.tsv)
  verdict=ok
  if [[ -z $ceiling ]]; then
    verdict="no ceiling"
  elif (( per * 100 > ceiling * 103 )); then
    verdict="ABOVE CEILING by $(( (per - ceiling) * 100 / ceiling ))%"
    status=1
  fi
  printf '%-28s %14s %14s  %s\n' "$route" "$per" "${ceiling:--}" "$verdict"
done
exit $status
