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
  cat "$out/time.txt"
}

printf '%-22s %-8s %10s %12s %10s\n' input tool seconds "max RSS MiB" findings
for input in "$corpus" examples/mixed; do
  name=$(basename "$input")
  read -r d_secs d_rss < <(timed "$out/$name.demarc.json" target/release/demarc scan "$input" --format json --fail-on none)
  d_count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$out/$name.demarc.json")
  read -r c_secs c_rss < <(timed "$out/$name.checkov.json" "$venv/bin/checkov" -d "$input" --quiet --compact -o json --framework terraform cloudformation)
  c_count=$(python3 - "$out/$name.checkov.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
print(sum(len(r.get("results", {}).get("failed_checks", [])) for r in reports))
PY
)
  printf '%-22s %-8s %10s %12.0f %10s\n' "$name" demarc "$d_secs" "$((d_rss / 1024))" "$d_count"
  printf '%-22s %-8s %10s %12.0f %10s\n' "$name" checkov "$c_secs" "$((c_rss / 1024))" "$c_count"
  python3 -c "import sys; d,c=float(sys.argv[1]),float(sys.argv[2]); print(f'{\"\":22} ratio    checkov/demarc = {c/max(d,0.001):.0f}x')" "$d_secs" "$c_secs"
done
echo "outputs kept in $out/ (*.demarc.json, *.checkov.json)"
