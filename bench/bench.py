#!/usr/bin/env python3
"""folio benchmarks: prints a table comparing folio with raw Typst.

Run through bench/run.sh, which builds the binary first. Measures, on a copy
of the sample issue in target/bench (so the repo's photo cache is untouched):

- cold build: `folio build`, fresh process, no photo cache;
- warm build: `folio build`, fresh process, photo cache on disk;
- warm rebuild: one `folio watch` process, a one-word article edit, the
  rebuild time it prints (median of N edits);
- snapshots: `folio snapshot` of all pages (PNG);
- peak RSS (from /usr/bin/time -v, or VmHWM for the watch process);
- photos decoded by the second build (printed by `folio watch`);
- raw Typst: the PyPI `typst` package compiling the project that
  `folio eject` writes, in a fresh process (cold) and with one
  `typst.Compiler` after the same one-word edit in data.json (warm).
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ISSUE = "2023-q3"
ARTICLE = "articles/july/jul-01-sco-transformation.md"
# The one-word edit, toggled back and forth.
WORDS = (" the ", " this ")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
EDITS = int(os.environ.get("BENCH_EDITS", "10"))


def folio_bin():
    b = os.environ.get("FOLIO_BIN")
    return Path(b).resolve() if b else REPO / "target" / "release" / "folio"


def timed(cmd, cwd=None, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MB, stdout)."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], cwd=cwd, env=env,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr[-4000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return wall, (int(m.group(1)) / 1024 if m else float("nan")), p.stdout


def setup(work):
    """A project root of its own: symlinked layouts/fonts/assets, a copied issue."""
    if work.exists():
        shutil.rmtree(work)
    root = work / "root"
    (root / "issues").mkdir(parents=True)
    for d in ("layouts", "fonts", "assets"):
        if (REPO / d).exists():
            (root / d).symlink_to(REPO / d)
    shutil.copytree(REPO / "issues" / ISSUE, root / "issues" / ISSUE)
    for f in (root / "issues" / ISSUE).rglob("*"):
        if f.is_file():
            f.chmod(0o644)
    return root


def edit_word(path, i):
    """Swaps one word (alternating directions); returns the (old, new) pair."""
    old, new = WORDS if i % 2 == 0 else WORDS[::-1]
    text = path.read_text()
    # The last occurrence: in the body, not the front matter.
    k = text.rfind(old)
    if k < 0:
        sys.exit(f"{path} has no {old!r} to edit")
    path.write_text(text[:k] + new + text[k + len(old):])
    return old, new


def watch_rebuilds(folio, root, out):
    """Times rebuilds of one `folio watch` process after one-word edits."""
    issue = root / "issues" / ISSUE
    proc = subprocess.Popen([folio, "watch", issue, "-o", out], cwd=root,
                            stderr=subprocess.PIPE, text=True)
    lines = []

    def next_build(timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if "] wrote " in line or "build failed" in line:
                lines.append(line.strip())
                return line
        proc.kill()
        sys.exit("folio watch did not rebuild in time:\n" + "\n".join(lines))

    try:
        first = next_build()
        times, parts = [], []
        for i in range(EDITS):
            time.sleep(0.3)
            edit_word(issue / ARTICLE, i)
            line = next_build()
            m = re.search(r"in (\d+) ms \(load (\d+) ms, typeset (\d+) ms, check (\d+) ms, "
                          r"pdf (\d+) ms, write (\d+) ms, (\d+) photo", line)
            if not m:
                sys.exit(f"unexpected watch output: {line}")
            times.append(int(m.group(1)))
            parts.append([int(x) for x in m.groups()[1:]])
        with open(f"/proc/{proc.pid}/status") as f:
            hwm = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        rss = int(hwm.group(1)) / 1024 if hwm else float("nan")
    finally:
        proc.kill()
        proc.wait()
    decoded_first = int(re.search(r"(\d+) photo\(s\) decoded", first).group(1))
    decoded_later = sum(p[-1] for p in parts)
    med = [statistics.median(p[i] for p in parts) for i in range(5)]
    return times, med, rss, decoded_first, decoded_later


PY_COLD = """
import sys, time, typst
t = time.perf_counter()
pdf = typst.compile(sys.argv[1], root=sys.argv[2], font_paths=[sys.argv[3]], ignore_system_fonts=True)
print(time.perf_counter() - t)
"""

PY_WARM = """
import json, sys, time, typst
main, root, fonts, data, edits = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
old, new = " the ", " this "
c = typst.Compiler(main, root=root, font_paths=[fonts], ignore_system_fonts=True)
c.compile()
times = []
for i in range(edits):
    a, b = (old, new) if i % 2 == 0 else (new, old)
    text = open(data, encoding="utf-8").read()
    k = text.rfind(a)
    open(data, "w", encoding="utf-8").write(text[:k] + b + text[k + len(a):])
    t = time.perf_counter()
    c.compile()
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def fmt_ms(s):
    return f"{s * 1000:.0f} ms"


def main():
    folio = folio_bin()
    if not folio.exists():
        sys.exit(f"{folio} not found: run bench/run.sh (it builds it)")
    work = REPO / "target" / "bench"
    root = setup(work)
    issue = root / "issues" / ISSUE
    out = work / "out.pdf"
    cache = root / ".folio-cache"

    # Cold and warm builds, fresh processes.
    cold, cold_rss = [], []
    for _ in range(RUNS):
        shutil.rmtree(cache, ignore_errors=True)
        w, r, _ = timed([folio, "build", issue, "-o", out], cwd=root)
        cold.append(w)
        cold_rss.append(r)
    warm, warm_rss = [], []
    for _ in range(RUNS):
        w, r, _ = timed([folio, "build", issue, "-o", out], cwd=root)
        warm.append(w)
        warm_rss.append(r)
    pages = subprocess.run(["pdfinfo", out], capture_output=True, text=True).stdout
    pages = re.search(r"Pages:\s+(\d+)", pages)
    pages = pages.group(1) if pages else "?"

    # Snapshots of all pages.
    snap, snap_rss = float("nan"), float("nan")
    has_snapshot = subprocess.run([folio, "snapshot", "--help"], capture_output=True).returncode == 0
    if has_snapshot:
        snap, snap_rss, _ = timed([folio, "snapshot", issue, "--out", work / "snapshots"], cwd=root)

    # Warm rebuilds in one process.
    times, parts, watch_rss, decoded_first, decoded_later = watch_rebuilds(folio, root, work / "watch.pdf")

    # Raw Typst through the PyPI package, on the ejected project.
    ejected = work / "ejected"
    timed([folio, "eject", issue, ejected], cwd=root)
    have_typst = subprocess.run([sys.executable, "-c", "import typst"], capture_output=True).returncode == 0
    ty_cold = ty_inproc = ty_rss = float("nan")
    ty_warm = []
    version = "not installed (pip install typst==0.15.2)"
    if have_typst:
        version = subprocess.run([sys.executable, "-c", "import typst; print(typst.__version__)"],
                                 capture_output=True, text=True).stdout.strip()
        args = [ejected / "folio" / "main.typ", ejected, REPO / "fonts"]
        walls, inproc, rss = [], [], []
        for _ in range(RUNS):
            w, r, stdout = timed([sys.executable, "-c", PY_COLD, *args])
            walls.append(w)
            rss.append(r)
            inproc.append(float(stdout.strip()))
        ty_cold, ty_inproc, ty_rss = statistics.median(walls), statistics.median(inproc), max(rss)
        p = subprocess.run([sys.executable, "-c", PY_WARM, *args, ejected / "folio" / "data.json", str(EDITS)],
                           capture_output=True, text=True)
        if p.returncode == 0:
            ty_warm = json.loads(p.stdout)

    cold_m, warm_m = statistics.median(cold), statistics.median(warm)
    rebuild_m = statistics.median(times)
    peak = max(max(cold_rss), max(warm_rss), watch_rss, snap_rss if snap_rss == snap_rss else 0)
    rows = [
        ("cold build (fresh process, no photo cache)", fmt_ms(cold_m),
         f"{fmt_ms(ty_cold)} (compile {fmt_ms(ty_inproc)})" if have_typst else "—",
         "≤ 1.0× raw Typst",
         f"{cold_m / ty_cold:.2f}× {'✓' if cold_m <= ty_cold else '✗'}" if have_typst else "?"),
        ("warm build (fresh process, photo cache)", fmt_ms(warm_m), "—", "",
         f"{warm_m / ty_cold:.2f}× raw" if have_typst else ""),
        (f"warm rebuild after a one-word edit (median of {EDITS})", f"{rebuild_m} ms",
         f"{fmt_ms(statistics.median(ty_warm))}" if ty_warm else "—", "≤ 100 ms",
         "✓" if rebuild_m <= 100 else "✗"),
        ("  of which load / typeset / check / pdf / write", " / ".join(f"{x:.0f}" for x in parts) + " ms",
         "", "", ""),
        ("  rebuild min / max", f"{min(times)} / {max(times)} ms",
         f"{fmt_ms(min(ty_warm))} / {fmt_ms(max(ty_warm))}" if ty_warm else "", "", ""),
        (f"snapshots of all {pages} pages (PNG, fresh process)", fmt_ms(snap) if has_snapshot else "n/a", "—", "", ""),
        ("peak RSS: cold build / watch session / snapshot",
         f"{max(cold_rss):.0f} / {watch_rss:.0f} / {snap_rss:.0f} MB", f"{ty_rss:.0f} MB", "≤ 300 MB",
         "✓" if peak <= 300 else "✗"),
        ("photos decoded: 2nd process / rebuilds", f"{decoded_first} / {decoded_later}", "—", "0",
         "✓" if decoded_first == 0 and decoded_later == 0 else "✗"),
    ]
    head = ("measurement", "folio", f"raw Typst (PyPI {version})", "target", "met")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    line = lambda r: "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |"
    print(f"folio {folio} on issues/{ISSUE} ({pages} pages), {os.cpu_count()} cores, "
          f"median of {RUNS} runs")
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print(f"rebuild times (ms): {times}")
    if ty_warm:
        print(f"raw Typst recompile times (ms): {[round(t * 1000) for t in ty_warm]}")


if __name__ == "__main__":
    main()
