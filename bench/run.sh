#!/usr/bin/env bash
# Benchmarks folio against raw Typst (the PyPI `typst` package) and prints a
# table; see bench/bench.py for what is measured.
#
#   bench/run.sh                 # release build, 5 runs, 10 edits
#   BENCH_RUNS=5 BENCH_EDITS=20 bench/run.sh
#   FOLIO_BIN=target/debug/folio bench/run.sh   # skip the release build
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pdfinfo >/dev/null || { echo "needs poppler-utils (pdfinfo)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
python3 -c 'import typst' 2>/dev/null || pip install -q 'typst==0.15.2' \
  || echo "warning: the PyPI typst package is unavailable; raw Typst columns stay empty" >&2
if [ -z "${FOLIO_BIN:-}" ]; then
  cargo build --release --quiet
fi
exec python3 bench/bench.py
