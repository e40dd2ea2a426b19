#!/usr/bin/env python3
"""Peak memory and time of folio on the worst inputs (issue 13).

Builds each case from tests/fixtures/minimal under target/worst/, runs the
folio binary under /usr/bin/time -v and prints a Markdown table.

    cargo build --release && python3 bench/worst_inputs.py target/release/folio

Only the standard library is used (PNGs are written with zlib).
"""

import os
import shutil
import struct
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "worst")


def png(path, w, h, declared=None):
    """A complete flat-colour RGB PNG of w x h pixels (streamed: little memory).
    With `declared`, the header claims that size instead (a bomb)."""
    dw, dh = declared or (w, h)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
        )

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", dw, dh, 8, 2, 0, 0, 0)))
        comp = zlib.compressobj(6)
        row = b"\x00" + bytes([40, 90, 160]) * w
        buf = []
        size = 0
        for _ in range(h):
            out = comp.compress(row)
            if out:
                buf.append(out)
                size += len(out)
            if size > 1 << 20:
                f.write(chunk(b"IDAT", b"".join(buf)))
                buf, size = [], 0
        buf.append(comp.flush())
        f.write(chunk(b"IDAT", b"".join(buf)))
        f.write(chunk(b"IEND", b""))


def issue(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "tests", "fixtures", "minimal"), d)
    os.makedirs(os.path.join(d, "sponsors"), exist_ok=True)
    return d


def edit(d, rel, old, new):
    p = os.path.join(d, rel)
    s = open(p, encoding="utf-8").read()
    assert old in s, (rel, old)
    open(p, "w", encoding="utf-8").write(s.replace(old, new, 1))


def article(d, rel, size, title="Long"):
    para = ("Words and more words in a long article. " * 20) + "\n\n"
    body = para * (size // len(para) + 1)
    open(os.path.join(d, rel), "w").write(f'+++\ntitle = "{title}"\n+++\n\n' + body[:size])


def cases():
    d = issue("minimal")
    yield "minimal fixture (baseline)", d

    yield "sample issue 2023-q3 (baseline)", os.path.join(ROOT, "issues", "2023-q3")

    d = issue("article-1m49")
    article(d, "articles/two.md", 1_490_000)
    yield "article of 1.49 MB (just under the issue text budget; laid out)", d

    d = issue("article-1m9")
    article(d, "articles/two.md", 1_900_000)
    yield "article of 1.9 MB (under the file limit, over the issue budget)", d

    d = issue("article-5m")
    article(d, "articles/two.md", 5_000_000)
    yield "article of 5 MB (over the file limit)", d

    d = issue("articles-250")
    names = []
    for i in range(248):
        rel = f"articles/p{i}.md"
        open(os.path.join(d, rel), "w").write(
            f'+++\ntitle = "Page {i}"\nnew-page = true\n+++\n\nOne page.\n'
        )
        names.append(f'"{rel}"')
    edit(d, "issue.toml", '"articles/two.md"]', '"articles/two.md", ' + ", ".join(names) + "]")
    yield "250 one-page articles (the most accepted)", d

    d = issue("articles-402")
    names = []
    for i in range(400):
        rel = f"articles/p{i}.md"
        open(os.path.join(d, rel), "w").write(
            f'+++\ntitle = "Page {i}"\nnew-page = true\n+++\n\nOne page.\n'
        )
        names.append(f'"{rel}"')
    edit(d, "issue.toml", '"articles/two.md"]', '"articles/two.md", ' + ", ".join(names) + "]")
    yield "402 one-page articles (refused before layout; 1.3 GB and 2 min before)", d

    d = issue("photo-120mp")
    png(os.path.join(d, "photos", "huge.png"), 10954, 10954)
    edit(d, "articles/one.md", 'file = "photos/gradient.jpg"', 'file = "photos/huge.png"')
    yield "photo 10954x10954 PNG (120 MP, the largest accepted)", d

    d = issue("photos-4x120mp")
    for i in range(4):
        png(os.path.join(d, "photos", f"huge{i}.png"), 10954 - i, 10954)
    extra = "".join(
        f'\n[[photos]]\nfile = "photos/huge{i}.png"\ncaption = "c"\ncredit = "c"\n' for i in range(1, 4)
    )
    edit(d, "articles/one.md", 'file = "photos/gradient.jpg"', 'file = "photos/huge0.png"')
    edit(d, "articles/one.md", 'credit = "Generated test image"\n', 'credit = "Generated test image"\n' + extra)
    yield "four 120 MP PNG photos in one article", d

    d = issue("logo-30000")
    png(os.path.join(d, "sponsors", "logo.png"), 30000, 30000)
    open(os.path.join(d, "issue.toml"), "a").write(
        '\n[[sponsors]]\nid = "acme"\nname = "Acme"\nsize = "half"\nafter = "one"\n'
        '[sponsors.ad]\nheadline = "Buy"\nlogo = "sponsors/logo.png"\n'
    )
    yield "complete 30000x30000 PNG logo (refused)", d

    d = issue("logo-header-bomb")
    png(os.path.join(d, "sponsors", "logo.png"), 1, 1, declared=(30000, 30000))
    open(os.path.join(d, "issue.toml"), "a").write(
        '\n[[sponsors]]\nid = "acme"\nname = "Acme"\nsize = "half"\nafter = "one"\n'
        '[sponsors.ad]\nheadline = "Buy"\nlogo = "sponsors/logo.png"\n'
    )
    yield "PNG logo whose header claims 30000x30000 (refused)", d

    d = issue("fifo-article")
    os.remove(os.path.join(d, "articles", "two.md"))
    os.mkfifo(os.path.join(d, "articles", "two.md"))
    yield "FIFO where an article should be (refused)", d

    d = issue("token-10k")
    token = "".join(chr(97 + (i * 7919) % 26) for i in range(10_000))
    open(os.path.join(d, "articles", "two.md"), "w").write(
        f'+++\ntitle = "Token"\ncolumns = 3\n+++\n\nStart {token} end.\n'
    )
    yield "unbroken token of 10,000 characters (laid out)", d


def measure(binary, d):
    out = os.path.join(WORK, "out.pdf")
    if os.path.exists(out):
        os.remove(out)
    cmd = ["/usr/bin/time", "-v", binary, "build", d, "-o", out]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    err = p.stderr
    rss = next(int(l.split()[-1]) for l in err.splitlines() if "Maximum resident set size" in l)
    wall = next(l.split()[-1] for l in err.splitlines() if "Elapsed (wall clock)" in l)
    status = next(l.split()[-1] for l in err.splitlines() if "Exit status" in l)
    first_error = next((l.strip() for l in err.splitlines() if l.startswith("error")), "")
    return rss / 1024, wall, status, first_error


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "folio"))
    os.makedirs(WORK, exist_ok=True)
    print("| input | exit | peak RSS (MB) | wall time | first error |")
    print("|---|---|---|---|---|")
    for name, d in cases():
        rss, wall, status, error = measure(binary, d)
        print(f"| {name} | {status} | {rss:.0f} | {wall} | {error[:90]} |", flush=True)


if __name__ == "__main__":
    main()
