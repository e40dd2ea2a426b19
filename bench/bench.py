#!/usr/bin/env python3
"""folio benchmarks: the four numbers of issues 10 and 11, against raw Typst.

Run through bench/run.sh, which builds the release binary first. Works on a
copy of the sample issue in target/bench (the repo's caches stay untouched)
and prints, with the raw Typst baseline beside each:

- cold build: `folio build` in a fresh process with `.folio-cache/` removed,
  median of BENCH_RUNS runs alternating with raw Typst in a fresh process
  (`python3 -c 'import typst; typst.compile(...)'`, PyPI typst 0.15.2) on
  the project `folio eject` writes; goal ≤ 1.3× raw (issue 11: ≤ 1.5×);
- peak RSS of a cold build (/usr/bin/time -v); goal ≤ 300 MB;
- warm build: the same with the cache in place; goal ≤ 1.05× raw;
- watch rebuild: one `folio watch` process, a one-word article edit, the
  rebuild time it prints (median of BENCH_EDITS edits); goal ≤ 100 ms
  (issue 11: ≤ 150 ms). Raw Typst beside it: one `typst.Compiler`
  recompiling after the same edit in the ejected data.json.
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
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
EDITS = int(os.environ.get("BENCH_EDITS", "10"))


def folio_bin():
    b = os.environ.get("FOLIO_BIN")
    return Path(b).resolve() if b else REPO / "target" / "release" / "folio"


def timed(cmd, cwd=None, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MB, stdout, stderr)."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], cwd=cwd, env=env,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr[-4000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    CPU.append(cpu_of(p.stderr))
    return wall, (int(m.group(1)) / 1024 if m else float("nan")), p.stdout, p.stderr


# CPU seconds (user + system) of each timed process, in order: on a shared
# machine wall time varies with the load, CPU time much less.
CPU = []


def cpu_of(time_v):
    user = re.search(r"User time \(seconds\): ([\d.]+)", time_v)
    sys_ = re.search(r"System time \(seconds\): ([\d.]+)", time_v)
    return float(user.group(1)) + float(sys_.group(1)) if user and sys_ else float("nan")


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
    read_first = int(re.search(r"(\d+) photo\(s\) read", first).group(1))
    read_later = sum(p[-1] for p in parts)
    med = [statistics.median(p[i] for p in parts) for i in range(5)]
    return times, med, rss, read_first, read_later


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


def raw_cold(args):
    """One raw Typst compile in a fresh process: (wall s, RSS MB, in-process compile s)."""
    w, r, stdout, _ = timed([sys.executable, "-c", PY_COLD, *args])
    return w, r, float(stdout.strip())


def passes_of(stderr_text):
    m = re.search(r"fitting passes: (\d+)", stderr_text)
    return int(m.group(1)) if m else None


def main():
    folio = folio_bin()
    if not folio.exists():
        sys.exit(f"{folio} not found: run bench/run.sh (it builds it)")
    if subprocess.run([sys.executable, "-c", "import typst"], capture_output=True).returncode != 0:
        sys.exit("the PyPI typst package is missing: pip install typst==0.15.2")
    version = subprocess.run([sys.executable, "-c", "import typst; print(typst.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    work = REPO / "target" / "bench"
    root = setup(work)
    issue = root / "issues" / ISSUE
    out = work / "out.pdf"
    cache = root / ".folio-cache"

    # The raw Typst project: what `folio eject` writes (fonts: its own if it has them).
    ejected = work / "ejected"
    timed([folio, "eject", issue, ejected], cwd=root)
    fonts = ejected / "fonts" if (ejected / "fonts").is_dir() else REPO / "fonts"
    args = [ejected / "folio" / "main.typ", ejected, fonts]

    def folio_build():
        w, r, _, err = timed([folio, "build", issue, "-o", out], cwd=root)
        return w, r, passes_of(err)

    # Cold and warm builds, fresh processes, alternating with raw Typst.
    cold, warm, raw, raw_in, raw_rss = [], [], [], [], []
    cold_rss, warm_rss, cold_passes, warm_passes = [], [], [], []
    CPU.clear()
    for _ in range(RUNS):
        shutil.rmtree(cache, ignore_errors=True)
        w, r, n = folio_build()
        cold.append(w), cold_rss.append(r), cold_passes.append(n)
        w, r, c = raw_cold(args)
        raw.append(w), raw_rss.append(r), raw_in.append(c)
    for _ in range(RUNS):
        w, r, n = folio_build()
        warm.append(w), warm_rss.append(r), warm_passes.append(n)
        w, r, c = raw_cold(args)
        raw.append(w), raw_rss.append(r), raw_in.append(c)
    # CPU times in run order: folio, raw, folio, raw, … (cold runs, then warm)
    cpu_cold, cpu_warm = CPU[0:2 * RUNS:2], CPU[2 * RUNS::2]
    cpu_raw = CPU[1::2]
    pages = subprocess.run(["pdfinfo", out], capture_output=True, text=True).stdout
    pages = re.search(r"Pages:\s+(\d+)", pages)
    pages = pages.group(1) if pages else "?"

    # Watch rebuilds in one process; raw Typst recompiles in one Compiler.
    times, parts, watch_rss, _, _ = watch_rebuilds(folio, root, work / "watch.pdf")
    p = subprocess.run([sys.executable, "-c", PY_WARM, *args, ejected / "folio" / "data.json", str(EDITS)],
                       capture_output=True, text=True)
    ty_warm = json.loads(p.stdout) if p.returncode == 0 else []

    raw_m, raw_rss_m = statistics.median(raw), statistics.median(raw_rss)
    cold_m, warm_m, rebuild_m = statistics.median(cold), statistics.median(warm), statistics.median(times)
    rss_m = statistics.median(cold_rss)
    ok = lambda b: "yes" if b else "NO"
    rows = [
        ("cold build (no .folio-cache/)", fmt_ms(cold_m), fmt_ms(raw_m), f"{cold_m / raw_m:.2f}×",
         "≤ 1.3× (1.5×)", ok(cold_m <= 1.3 * raw_m) + f" ({ok(cold_m <= 1.5 * raw_m)})"),
        ("peak RSS, cold build", f"{rss_m:.0f} MB", f"{raw_rss_m:.0f} MB", f"{rss_m / raw_rss_m:.2f}×",
         "≤ 300 MB", ok(max(cold_rss) <= 300)),
        ("warm build (cache in place)", fmt_ms(warm_m), fmt_ms(raw_m), f"{warm_m / raw_m:.2f}×",
         "≤ 1.05×", ok(warm_m <= 1.05 * raw_m)),
        (f"watch rebuild, one-word edit", f"{rebuild_m:.0f} ms",
         fmt_ms(statistics.median(ty_warm)) if ty_warm else "—",
         f"{rebuild_m / 1000 / statistics.median(ty_warm):.2f}×" if ty_warm else "",
         "≤ 100 ms (150)", ok(rebuild_m <= 100) + f" ({ok(rebuild_m <= 150)})"),
    ]
    head = ("median", "folio", f"raw Typst {version}", "ratio", "goal", "met")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |"
    print(f"{folio} on issues/{ISSUE} ({pages} pages), {os.cpu_count()} cores, "
          f"{RUNS} runs alternating with raw Typst, {EDITS} edits")
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print(f"folio cold (ms): {[round(t * 1000) for t in cold]}, passes {cold_passes}, RSS {[round(r) for r in cold_rss]} MB")
    print(f"folio warm (ms): {[round(t * 1000) for t in warm]}, passes {warm_passes}, RSS {[round(r) for r in warm_rss]} MB")
    print(f"raw Typst process (ms): {[round(t * 1000) for t in raw]}, of which compile (median) "
          f"{fmt_ms(statistics.median(raw_in))}")
    med = statistics.median
    print(f"CPU s (user+sys, median): folio cold {med(cpu_cold):.2f} ({med(cpu_cold) / med(cpu_raw):.2f}×), "
          f"warm {med(cpu_warm):.2f} ({med(cpu_warm) / med(cpu_raw):.2f}×), raw Typst {med(cpu_raw):.2f}")
    print(f"watch rebuilds (ms): {times}; load / typeset / check / pdf / write (median): "
          + " / ".join(f"{x:.0f}" for x in parts) + f"; watch RSS {watch_rss:.0f} MB")
    if ty_warm:
        print(f"raw Typst recompiles (ms): {[round(t * 1000) for t in ty_warm]}")


if __name__ == "__main__":
    main()
