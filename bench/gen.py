"""Generates the benchmark inputs (bench/README.md says what each is).

    python3 bench/gen.py stream N FILE          N numbers, one per line
    python3 bench/gen.py csv N FILE             N input rows for examples/whiteboard.wb
    python3 bench/gen.py program N LANG FILE    a straight-line program of N
                                                statements; LANG is wb, lua or py
    python3 bench/gen.py varied N LANG FILE     N statements that check clean, with
                                                varied names, parentheses, forgets,
                                                loops and line lengths; wb or lua
    python3 bench/gen.py deadwrites N LANG FILE as `varied`, with about a quarter of the
                                                statements writing a value nobody
                                                reads (a `wb::dead_write` each)
    python3 bench/gen.py names N LANG FILE      N statements, each naming a new
                                                value (N/3 distinct names)
    python3 bench/gen.py logistic N LANG FILE   the logistic map iterated N times
                                                in one `repeat` loop
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


def _expr(rng, names, depth=0):
    """A random expression over `names` (each already on the board) and the
    input `a`: parentheses nested up to 3 deep, 1 to 6 terms, so lines vary
    in length."""
    terms = []
    for _ in range(rng.randint(1, 6 if depth == 0 else 3)):
        r = rng.random()
        if r < 0.15 and depth < 3:
            terms.append("(" + _expr(rng, names, depth + 1) + ")")
        elif r < 0.6:
            terms.append(rng.choice(names))
        elif r < 0.8:
            terms.append("a")
        else:
            terms.append(f"{rng.randint(1, 999) / 8:g}")
    out = terms[0]
    for t in terms[1:]:
        out += rng.choice((" + ", " - ", " * ", " * ", " + ")) + t
    return out


def _name(rng, k):
    """The name of slot k: short or long, so names vary in length."""
    return ("v" if k % 3 else "value_of_the_slot_") + str(k)


def varied(n, lang, path, dead=0.0, seed=7):
    """A straight-line program with loops of n statements: every value is
    read (dead = 0) or, with probability `dead` per statement, a scratch
    value is written that the next write to it overwrites unread. Names vary
    in length, expressions in parentheses and length; some values are
    forgotten and written again, one statement in 50 opens a `repeat` loop
    of a few statements (neutral: it only overwrites). Every line is one
    statement in wb and in Lua."""
    rng = random.Random(seed)
    live = [_name(rng, k) for k in range(LIVE)]
    spare = [_name(rng, k) for k in range(LIVE, LIVE + 2)]
    scratch = "scratch"
    wb = lang == "wb"
    if lang not in ("wb", "lua"):
        sys.exit(f"gen.py: unknown language {lang!r} (wb or lua)")
    out = []
    if wb:
        out.append("board 16\ninput a = 1\n")
    else:
        out.append("local a = 1\n")
    for k, w in enumerate(live):
        out.append(f"write {w} = a + {k}\n" if wb else f"{w} = a + {k}\n")
    out.append(f"write {scratch} = a\n" if wb else f"{scratch} = a\n")
    written = len(live) + 1
    # The scratch value's state: True when it holds a value nobody read yet.
    unread = True
    body = n - written - 1
    i = 0
    f = open(path, "w")
    while i < body:
        r = rng.random()
        if r < dead:
            # Overwrites the scratch value: a dead write if it was unread.
            e = _expr(rng, live)
            out.append(f"write {scratch} = {e}\n" if wb else f"{scratch} = {e}\n")
            unread = True
            i += 1
        elif r < dead + 0.02 and body - i > 8:
            # A loop of 2 to 5 overwrites of live values (neutral).
            k = rng.randint(2, 5)
            # (Lua: a global counter, since each numeric `for` would add
            # locals to the chunk's debug table, which holds 32 767.)
            times = rng.randint(1, 3)
            out.append(f"repeat {times} {{\n" if wb else
                       f"loop_count = {times} while loop_count > 0 do loop_count = loop_count - 1\n")
            for _ in range(k):
                t = rng.choice(live)
                e = _expr(rng, live)
                out.append(f"  write {t} = {t} * 0.5 + {e}\n" if wb else
                           f"  {t} = {t} * 0.5 + {e}\n")
            out.append("}\n" if wb else "end\n")
            i += k + 2
        elif r < dead + 0.04:
            # Forget a live value after reading it into a spare, then swap.
            j = rng.randrange(len(live))
            old, new = live[j], spare.pop()
            e = _expr(rng, live)
            out.append(f"write {new} = {old} + {e}\n" if wb else f"{new} = {old} + {e}\n")
            out.append(f"forget {old}\n" if wb else f"{old} = nil\n")
            live[j] = new
            spare.append(old)
            i += 2
        else:
            # Reads the value it overwrites: nothing to warn about.
            t = rng.choice(live)
            e = _expr(rng, live)
            if unread and rng.random() < 0.25:
                e += f" + {scratch}"
                unread = False
            out.append(f"write {t} = {t} / 3 - {e}\n" if wb else f"{t} = {t} / 3 - {e}\n")
            i += 1
        if len(out) >= 10_000:
            f.write("".join(out))
            out.clear()
    names = ", ".join(live + [scratch])
    out.append(f"read {names}\n" if wb else f"print({names})\n")
    f.write("".join(out))
    f.close()


def names(n, lang, path):
    """n statements, three per new name: `write`, a `read`-free use, `forget`
    of the one before, so every statement names a value never seen before
    or just made (n / 3 distinct names); the board stays at two slots."""
    rng = random.Random(8)
    wb = lang == "wb"
    if lang not in ("wb", "lua"):
        sys.exit(f"gen.py: unknown language {lang!r} (wb or lua)")
    with open(path, "w") as f:
        out = ["board 4\ninput a = 1\nwrite n0 = a\n" if wb else "a = 1\nn0 = a\n"]
        count = max(1, (n - 2) // 3)
        for k in range(1, count + 1):
            p, t = f"n{k - 1}", f"n{k}"
            c = rng.randint(1, 9)
            if wb:
                out.append(f"write {t} = {p} * 0.5 + {c}\nwrite {t} = {t} - a / {c}\nforget {p}\n")
            else:
                out.append(f"{t} = {p} * 0.5 + {c}\n{t} = {t} - a / {c}\n{p} = nil\n")
            if len(out) >= 10_000:
                f.write("".join(out))
                out.clear()
        last = f"n{count}"
        out.append(f"read {last}\n" if wb else
                   f"print(string.format('{last} = %.17g', {last}))\n")
        f.write("".join(out))


def logistic(n, lang, path):
    """The logistic map x <- r x (1 - x), n times, in one loop; prints x."""
    with open(path, "w") as f:
        if lang == "wb":
            f.write(f"board 1\ninput r = 3.7\nwrite x = 0.5\nrepeat {n} {{\n"
                    "  write x = r * x * (1 - x)\n}\nread x\n")
        elif lang == "lua":
            f.write(f"local r = 3.7\nlocal x = 0.5\nfor _ = 1, {n} do\n"
                    "  x = r * x * (1 - x)\nend\nprint(string.format('x = %.17g', x))\n")
        else:
            sys.exit(f"gen.py: unknown language {lang!r} (wb or lua)")


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
    elif len(argv) >= 4 and argv[0] == "varied":
        varied(int(argv[1]), argv[2], argv[3])
    elif len(argv) >= 4 and argv[0] == "deadwrites":
        varied(int(argv[1]), argv[2], argv[3], dead=0.25, seed=9)
    elif len(argv) >= 4 and argv[0] == "names":
        names(int(argv[1]), argv[2], argv[3])
    elif len(argv) >= 4 and argv[0] == "logistic":
        logistic(int(argv[1]), argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
