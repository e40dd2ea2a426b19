#!/usr/bin/env bash
# Generates synthetic issues, builds each one (print PDF with preflight) and
# renders a contact sheet PNG of all its pages as spreads, for looking at
# what the layout engine does with them.
#
#   bench/contact-sheet.sh 7            # seed 7 → out/synth/synth-7.pdf and synth-7.png
#   bench/contact-sheet.sh 1 30         # seeds 1..30
#   SHEET_PPI=30 bench/contact-sheet.sh 7
#   FOLIO_BIN=target/debug/folio bench/contact-sheet.sh 7   # skip cargo build
#
# Pages are rendered by folio itself (`folio synth --sheet`, the same renderer
# as `folio snapshot`), so neither poppler nor ImageMagick is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${1:-1}"
count="${2:-1}"
out="${SYNTH_OUT:-out/synth}"
if [ -z "${FOLIO_BIN:-}" ]; then
  cargo build --quiet
  FOLIO_BIN=target/debug/folio
fi
"$FOLIO_BIN" synth --seed "$seed" --count "$count" --sheet --sheet-ppi "${SHEET_PPI:-20}" "$out"
status=0
for ((s = seed; s < seed + count; s++)); do
  if "$FOLIO_BIN" build "$out/synth-$s" -o "$out/synth-$s.pdf"; then
    echo "seed $s: $out/synth-$s.pdf, $out/synth-$s.png"
  else
    echo "seed $s: BUILD FAILED (contact sheet $out/synth-$s.png)" >&2
    status=1
  fi
done
exit $status
