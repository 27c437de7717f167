"""Generates the benchmark inputs (bench/README.md says what each is).

    python3 bench/gen.py stream N FILE          N numbers, one per line
    python3 bench/gen.py csv N FILE             N input rows for examples/whiteboard.wb
    python3 bench/gen.py program N LANG FILE    a straight-line program of N
                                                statements; LANG is wb, lua or py
    python3 bench/gen.py session N FILE         N lines typed into `wb repl`, also a
                                                program for `wb run` (the REPL workload)

Every generator is seeded, so the same command writes the same file.
"""
import random
import sys

# Names kept on the board by the straight-line program: 12 of the 16 slots,
# so the checker's board is busy but never full.
LIVE = 12


def stream(n, path):
    rng = random.Random(6)
    gauss = rng.gauss
    with open(path, "w") as f:
        chunk = 100_000
        for start in range(0, n, chunk):
            f.write("".join(f"{gauss(100, 15):.6f}\n" for _ in range(min(chunk, n - start))))


def csv(n, path):
    rng = random.Random(6)
    rand = rng.randint
    with open(path, "w") as f:
        f.write("a,b,c,d\n")
        chunk = 100_000
        for start in range(0, n, chunk):
            f.write(
                "".join(
                    f"{rand(-99, 99)},{rand(-99, 99)},{rand(-99, 99)},{rand(-99, 99)}\n"
                    for _ in range(min(chunk, n - start))
                )
            )


def program(n, lang, path):
    """`w[k] = w[k-1] * 0.5 - w[k] / 3 + a`, round the LIVE names: each line
    reads the value it overwrites (and the next line reads the new one), so
    every value is read and the checker has nothing to warn about; every
    line is one statement in all three languages."""
    with open(path, "w") as f:
        names = [f"w{k}" for k in range(LIVE)]
        if lang == "wb":
            f.write("board 16\ninput a = 1\n")
            first = [f"write {w} = a + {k}\n" for k, w in enumerate(names)]
            line = "write {t} = {p} * 0.5 - {t} / 3 + a\n"
            last = "read " + ", ".join(names) + "\n"
        elif lang == "lua":
            f.write("local a = 1\n")
            f.write("local " + ", ".join(names) + "\n")
            first = [f"{w} = a + {k}\n" for k, w in enumerate(names)]
            line = "{t} = {p} * 0.5 - {t} / 3 + a\n"
            last = "print(" + ", ".join(names) + ")\n"
        elif lang == "py":
            f.write("a = 1\n")
            first = [f"{w} = a + {k}\n" for k, w in enumerate(names)]
            line = "{t} = {p} * 0.5 - {t} / 3 + a\n"
            last = "print(" + ", ".join(names) + ")\n"
        else:
            sys.exit(f"gen.py: unknown language {lang!r} (wb, lua or py)")
        f.writelines(first)
        body = n - len(first) - 1
        chunk = []
        for i in range(body):
            k = i % LIVE
            chunk.append(line.format(t=names[k], p=names[k - 1]))
            if len(chunk) == 10_000:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))
        f.write(last)


def session(n, path):
    """A REPL session of about N lines that is also a clean program: each step
    is, at random (seeded), a new name (written, read into a kept value,
    forgotten), an overwrite of a kept name, a `read`, or a `repeat` block
    over several lines; so `wb repl < FILE` and `wb run FILE` do the same
    work and print the same reads. No line warns."""
    rng = random.Random(13)
    kept = [f"w{k}" for k in range(8)]
    out = ["board 12\n", "input a = 1\n"]
    out += [f"write {w} = a + {k}\n" for k, w in enumerate(kept)]
    fresh = 0
    lines = len(out)
    while lines < n - 1:
        r = rng.random()
        w = rng.choice(kept)
        if r < 0.45:
            v = f"v{fresh}"
            fresh += 1
            out.append(f"write {v} = a * {rng.randint(1, 9)} + {rng.choice(kept)}\n")
            out.append(f"write {w} = {w} * 0.5 + {v}\n")
            out.append(f"forget {v}\n")
            lines += 3
        elif r < 0.8:
            p = rng.choice(kept)
            out.append(f"write {w} = {w} / 3 - {p} * 0.25 + a\n")
            lines += 1
        elif r < 0.93:
            out.append(f"read {w}\n")
            lines += 1
        else:
            k = rng.randint(2, 5)
            out.append(f"repeat {k} {{\n")
            out.append(f"  write {w} = {w} * 0.5 + a\n")
            out.append("}\n")
            lines += 3
    out.append("read " + ", ".join(kept) + "\n")
    with open(path, "w") as f:
        f.writelines(out)


def main(argv):
    if len(argv) >= 3 and argv[0] == "stream":
        stream(int(argv[1]), argv[2])
    elif len(argv) >= 3 and argv[0] == "csv":
        csv(int(argv[1]), argv[2])
    elif len(argv) >= 3 and argv[0] == "session":
        session(int(argv[1]), argv[2])
    elif len(argv) >= 4 and argv[0] == "program":
        program(int(argv[1]), argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
