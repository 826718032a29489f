#!/bin/sh
# Usage: determinism.sh MERIDIAN_SIM SCENARIO_DIR
set -eu
sim=$1
dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # run OUTDIR ARGS...
  out=$1
  shift
  mkdir -p "$work/$out"
  "$sim" --seeds 3 --duration 6h --trace-every 60 --csv "$work/$out/trace.csv" \
    --svg "$work/$out/plot.svg" "$@" "$dir/04-falseticker.scn" "$dir/07a-hostile-g.scn" \
    > "$work/$out/table.txt"
  "$sim" --seeds 3 --duration 6h --json "$@" "$dir/01-lan.scn" "$dir/06-asymmetric.scn" \
    > "$work/$out/result.json"
}

run a
run b
for f in table.txt result.json trace-04-falseticker.csv plot-04-falseticker.svg \
         trace-07a-hostile-g.csv plot-07a-hostile-g.svg; do
  if ! cmp "$work/a/$f" "$work/b/$f"; then
    echo "FAIL: $f differs between two runs with the same seeds" >&2
    exit 1
  fi
done
echo "same seeds: byte-identical table, JSON, CSV and SVG"

run c --first-seed 4
if cmp -s "$work/a/result.json" "$work/c/result.json"; then
  echo "FAIL: different seeds gave identical results" >&2
  exit 1
fi
echo "different seeds: different results"

# Identical conditions: a discipline's figures are the same whether or not
# the other one ran in the same process.
"$sim" --seeds 3 --duration 6h "$dir/04-falseticker.scn" > "$work/both.txt"
"$sim" --seeds 3 --duration 6h --algo ours "$dir/04-falseticker.scn" > "$work/ours.txt"
"$sim" --seeds 3 --duration 6h --algo rfc5905 "$dir/04-falseticker.scn" > "$work/rfc.txt"
for alg in meridian rfc5905; do
  grep "^$alg " "$work/both.txt" > "$work/x"
  cat "$work/ours.txt" "$work/rfc.txt" | grep "^$alg " > "$work/y"
  if ! cmp "$work/x" "$work/y"; then
    echo "FAIL: $alg figures depend on which algorithms ran" >&2
    exit 1
  fi
done
echo "each discipline's figures are independent of the other's run"

# Scale scenarios (many engines, the real server pipeline): same seeds ⇒
# byte-identical JSON; another seed ⇒ different.
scale() {  # scale OUTFILE ARGS...
  out=$1
  shift
  "$sim" --seeds 2 --duration 3min --json "$@" "$dir/08a-scale-1k.scn" > "$work/$out"
}
scale scale-a.json
scale scale-b.json
if ! cmp "$work/scale-a.json" "$work/scale-b.json"; then
  echo "FAIL: scale scenario JSON differs between two runs with the same seeds" >&2
  exit 1
fi
scale scale-c.json --first-seed 3
if cmp -s "$work/scale-a.json" "$work/scale-c.json"; then
  echo "FAIL: scale scenario: different seeds gave identical results" >&2
  exit 1
fi
echo "scale scenario: same seeds byte-identical, different seeds different"
