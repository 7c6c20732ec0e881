#!/usr/bin/env bash
# Times demarc and Checkov on the same inputs: a generated corpus and the
# bundled example. Checkov is installed in a throwaway virtualenv (PyPI);
# both tools' outputs are kept so a reader can check they did comparable work.
#
#   benches/compare-checkov.sh [FILES] [OUT_DIR]     (defaults: 2000, target/compare)
set -euo pipefail
cd "$(dirname "$0")/.."

files="${1:-2000}"
out="${2:-target/compare}"
venv="$out/checkov-venv"
mkdir -p "$out"

if [[ ! -x "$venv/bin/checkov" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet checkov
fi

cargo build --quiet --release
corpus="$out/corpus-$files"
if [[ ! -f "$corpus/manifest.json" ]]; then
  rm -rf "$corpus"
  cargo bench --quiet --bench scale -- --generate "$corpus" --files "$files" >/dev/null
fi

# Prints "seconds max_rss_kib" for a command; its output goes to a file.
timed() {
  local output="$1"; shift
  /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >"$output" 2>"$output.stderr" || true
  tail -n 1 "$out/time.txt"
}

# Checkov runs its whole library (over a thousand checks) by default; the
# second Checkov row runs only the checks demarc's rules name as aliases,
# which is the comparable amount of work.
same_checks=$(target/release/demarc rules --json | python3 -c '
import json, sys
ids = sorted({a for r in json.load(sys.stdin) for a in r["aliases"] if a.startswith("CKV")})
print(",".join(ids))')

printf '%-22s %-16s %10s %12s %10s\n' input tool seconds "max RSS MiB" findings
for input in "$corpus" examples/mixed; do
  name=$(basename "$input")
  read -r d_secs d_rss < <(timed "$out/$name.demarc.json" target/release/demarc scan "$input" --format json --fail-on none)
  d_count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$out/$name.demarc.json")
  printf '%-22s %-16s %10s %12.0f %10s\n' "$name" demarc "$d_secs" "$((d_rss / 1024))" "$d_count"
  for variant in all same-checks; do
    extra=()
    [[ $variant == same-checks ]] && extra=(--check "$same_checks")
    report="$out/$name.checkov-$variant.json"
    read -r c_secs c_rss < <(timed "$report" "$venv/bin/checkov" -d "$input" --quiet --compact -o json --framework terraform cloudformation "${extra[@]}")
    c_count=$(python3 - "$report" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
print(sum(len(r.get("results", {}).get("failed_checks", [])) for r in reports))
PY
)
    printf '%-22s %-16s %10s %12.0f %10s\n' "$name" "checkov $variant" "$c_secs" "$((c_rss / 1024))" "$c_count"
    python3 -c "import sys; d,c=float(sys.argv[1]),float(sys.argv[2]); print(f'{\"\":22} {\"\":16} checkov/demarc = {c/max(d,0.001):.0f}x')" "$d_secs" "$c_secs"
  done
done
echo "outputs kept in $out/ (*.demarc.json, *.checkov-all.json, *.checkov-same-checks.json)"
