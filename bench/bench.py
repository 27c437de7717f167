"""The benchmark suite: `wb` against Lua 5.4, LuaJIT, CPython and pandas on
the same work. Start it with `bench/run.sh` (which installs the peers and
builds `wb`); bench/README.md says what each workload measures.

    python3 bench/bench.py [--only stream,batch,parse,startup,warnings,clean,names,loop]
                           [--runs N]
                           [--scale F] [--wb PATH] [--work DIR]

Times are medians of several runs of the whole process (hyperfine), peak
memory is the maximum resident set size of one more run (/usr/bin/time -v).
Ratios are wb's time over the peer's, from the same run of this script.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PEERS = os.path.join(BENCH, "peers")
GEN = os.path.join(BENCH, "gen.py")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def have(tool):
    return shutil.which(tool) is not None


# ---------------------------------------------------------------- measuring


def median_times(commands, runs, warmup, work):
    """{label: median wall seconds} for {label: argv}; each argv runs `runs`
    times. The mean CPU seconds (user + system) of each go to CPU_TIMES."""
    if have("hyperfine"):
        out = os.path.join(work, "hyperfine.json")
        argv = ["hyperfine", "-N", "--style", "basic", "--runs", str(runs),
                "--warmup", str(warmup), "--export-json", out]
        for label, cmd in commands.items():
            argv += ["-n", label, " ".join(quote(c) for c in cmd)]
        subprocess.run(argv, check=True, stdout=sys.stderr)
        with open(out) as f:
            results = json.load(f)["results"]
        for r in results:
            CPU_TIMES[r["command"]] = r["user"] + r["system"]
        return {r["command"]: statistics.median(r["times"]) for r in results}
    times = {}
    for label, cmd in commands.items():
        for _ in range(warmup):
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        samples, cpu = [], []
        for _ in range(runs):
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            samples.append(time.perf_counter() - t)
            cpu.append(usage.ru_utime + usage.ru_stime)
            if status != 0:
                raise subprocess.CalledProcessError(status, cmd)
        times[label] = statistics.median(samples)
        CPU_TIMES[label] = statistics.mean(cpu)
    return times


# Mean CPU seconds (user + system) per command label, from median_times.
CPU_TIMES = {}


def quote(arg):
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


def peak_rss_mb(cmd):
    """Maximum resident set size of one run, in MB (10^6 bytes)."""
    if os.path.exists("/usr/bin/time"):
        r = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, check=True)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        if m:
            return int(m.group(1)) * 1024 / 1e6
    # Without GNU time: the kernel's figure for the child, from wait4.
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise subprocess.CalledProcessError(status, cmd)
    return usage.ru_maxrss * 1024 / 1e6


# ---------------------------------------------------------------- reporting


class Report:
    def __init__(self):
        self.sections = []

    def table(self, title, rows, goals):
        """rows: (label, seconds, rss MB or None); the first row is wb's."""
        wb_time = rows[0][1]
        wb_cpu = CPU_TIMES.get(rows[0][0])
        lines = [f"### {title}", "",
                 "| command | median | wb / this | CPU | wb / this (CPU) | peak RSS |",
                 "|---|---:|---:|---:|---:|---:|"]
        for label, secs, rss in rows:
            first = label == rows[0][0]
            ratio = "—" if first else f"{wb_time / secs:.2f}"
            cpu = CPU_TIMES.get(label)
            cpu_text = "—" if cpu is None else fmt_time(cpu)
            cpu_ratio = "—" if first or not cpu or wb_cpu is None else f"{wb_cpu / cpu:.2f}"
            mem = "—" if rss is None else f"{rss:.1f} MB"
            lines.append(f"| `{label}` | {fmt_time(secs)} | {ratio} | {cpu_text} | {cpu_ratio} "
                         f"| {mem} |")
        lines.append("")
        for goal, met in goals:
            lines.append(f"- {'met' if met else 'MISSED'}: {goal}")
        lines.append("")
        self.add(lines)

    def add(self, lines):
        text = "\n".join(lines)
        print(text, flush=True)
        self.sections.append(text)

    def write(self, path, header):
        with open(path, "w") as f:
            f.write("\n".join([header, ""] + self.sections) + "\n")


def fmt_time(secs):
    return f"{secs * 1000:.1f} ms" if secs < 1 else f"{secs:.2f} s"


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}"


def versions():
    out = []
    for argv in (["lua5.4", "-v"], ["luajit", "-v"], [sys.executable, "--version"]):
        if have(argv[0]):
            r = subprocess.run(argv, capture_output=True, text=True)
            first = (r.stdout or r.stderr).strip().split("\n")[0]
            out.append(re.split(r"\s+(?:--\s+)?Copyright", first)[0].strip())
    return "; ".join(out)


# ---------------------------------------------------------------- inputs


def generate(work, kind, n, *rest):
    """The input file for (kind, n, …), made once and kept in `work` (made
    again when gen.py changed since)."""
    suffix = {"stream": "txt", "csv": "csv"}.get(kind, rest[0] if rest else "txt")
    path = os.path.join(work, f"{kind}_{n}.{suffix}")
    if not os.path.exists(path) or os.path.getmtime(path) < os.path.getmtime(GEN):
        log(f"generating {path}")
        tmp = path + ".part"
        subprocess.run([sys.executable, GEN, kind, str(n), *rest, tmp], check=True)
        os.replace(tmp, path)
    return path


def repeated(work, path, times):
    """`path` concatenated `times` times (ten times the elements, quickly)."""
    root, ext = os.path.splitext(path)
    out = f"{root}_x{times}{ext}"
    if not os.path.exists(out):
        log(f"generating {out}")
        with open(out + ".part", "wb") as dst:
            for _ in range(times):
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(out + ".part", out)
    return out


# ---------------------------------------------------------------- workloads


def stream(args, report):
    n = int(10_000_000 * args.scale)
    data = generate(args.work, "stream", n)
    wb = [args.wb, "run", os.path.join(ROOT, "examples/stream_stats.wb"), "--stream", f"x=@{data}"]
    commands = {"wb run examples/stream_stats.wb": wb}
    peers = [("lua5.4", ["lua5.4", os.path.join(PEERS, "stream_stats.lua"), data]),
             ("luajit", ["luajit", os.path.join(PEERS, "stream_stats.lua"), data]),
             ("python3", [sys.executable, os.path.join(PEERS, "stream_stats.py"), data])]
    for label, cmd in peers:
        if have(cmd[0]):
            commands[f"{label} stream_stats"] = cmd
    check_same_output(commands)
    times = median_times(commands, args.runs, 1, args.work)
    rows = [(k, times[k], peak_rss_mb(cmd)) for k, cmd in commands.items()]
    wb_t = rows[0][1]
    goals = [(f"wb at least 2x faster than {p} ({wb_t / times[k]:.2f})", wb_t * 2 <= times[k])
             for k in times for p in ("lua5.4", "python3") if k.startswith(p + " ")]
    report.table(f"stream: mean, variance and max of {n:,} elements from a file", rows, goals)

    # Memory: ten times the elements leaves the peak where it was, on both
    # engines (the cell pulls a file stream's elements as the interpreter does).
    big = repeated(args.work, data, 10)
    cell = [wb[0], wb[1], "--engine", "cell"] + wb[2:]
    rss = {}
    for engine, cmd in (("interpreter", wb), ("cell", cell)):
        small_rss = rows[0][2] if engine == "interpreter" else peak_rss_mb(cmd)
        rss[engine] = (small_rss, peak_rss_mb(cmd[:-1] + [f"x=@{big}"]))
    lines = [f"### stream memory: {n:,} vs {10 * n:,} elements", "",
             "| elements | interpreter peak RSS | cell (`--engine cell`) peak RSS |",
             "|---:|---:|---:|",
             f"| {n:,} | {rss['interpreter'][0]:.1f} MB | {rss['cell'][0]:.1f} MB |",
             f"| {10 * n:,} | {rss['interpreter'][1]:.1f} MB | {rss['cell'][1]:.1f} MB |", ""]
    for engine, (small_rss, big_rss) in rss.items():
        flat = big_rss <= small_rss * 1.10
        lines += [
            f"- {'met' if small_rss < 30 else 'MISSED'}: {engine} under 30 MB at {n:,} elements",
            f"- {'met' if flat else 'MISSED'}: {engine}: 10x the elements within 10 % "
            f"({(big_rss / small_rss - 1) * 100:+.1f} %)"]
    report.add(lines + [""])


def check_same_output(commands):
    """Every command prints the same numbers (to 12 significant digits)."""
    seen = {}
    for label, cmd in commands.items():
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"bench: {label} failed (exit {r.returncode}):\n{r.stderr}")
        out = r.stdout
        nums = [float(x) for x in re.findall(r"=\s*(\S+)", out)]
        seen[label] = [float(f"{v:.12g}") for v in nums]
    first = next(iter(seen.values()))
    for label, nums in seen.items():
        if nums != first:
            sys.exit(f"bench: {label} computes {nums}, not {first}")


def batch(args, report):
    n = int(1_000_000 * args.scale)
    help_text = subprocess.run([args.wb, "run", "--help"], capture_output=True, text=True).stdout
    if "--batch" not in help_text:
        report.add([f"### batch: examples/whiteboard.wb over {n:,} CSV rows", "",
                    "pending: this `wb` has no `wb run --batch` yet.", ""])
        return
    rows_csv = generate(args.work, "csv", n)
    out = os.path.join(args.work, "batch_out.csv")
    commands = {
        "wb run --batch": [args.wb, "run", os.path.join(ROOT, "examples/whiteboard.wb"),
                           "--batch", rows_csv],
        "pandas + numpy": [sys.executable, os.path.join(PEERS, "whiteboard_batch.py"),
                           rows_csv, out],
    }
    times = median_times(commands, max(3, args.runs // 2), 1, args.work)
    rows = [(k, times[k], peak_rss_mb(cmd)) for k, cmd in commands.items()]
    ratio = rows[0][1] / rows[1][1]
    report.table(f"batch: examples/whiteboard.wb over {n:,} CSV rows", rows,
                 [(f"wb at least 2x faster than pandas + numpy ({ratio:.2f})", ratio <= 0.5)])

    # Memory: the CSV streams through; ten times the rows leaves the peak flat.
    big = generate(args.work, "csv", 10 * n)
    small_rss = rows[0][2]
    big_rss = peak_rss_mb(commands["wb run --batch"][:-1] + [big])
    flat = big_rss <= small_rss * 1.10
    report.add([
        f"### batch memory: {n:,} vs {10 * n:,} CSV rows", "",
        "| rows | wb peak RSS |", "|---:|---:|",
        f"| {n:,} | {small_rss:.1f} MB |", f"| {10 * n:,} | {big_rss:.1f} MB |", "",
        f"- {'met' if flat else 'MISSED'}: 10x the rows within 10 % "
        f"({(big_rss / small_rss - 1) * 100:+.1f} %)", ""])


def parse(args, report):
    n = int(1_000_000 * args.scale)
    progs = {lang: generate(args.work, "program", n, lang) for lang in ("wb", "lua", "py")}
    big = generate(args.work, "program", 10 * n, "wb")
    commands = {"wb check": [args.wb, "check", progs["wb"]]}
    if have("luac5.4"):
        commands["luac5.4 -p"] = ["luac5.4", "-p", progs["lua"]]
    commands["python3 -m py_compile"] = [sys.executable, "-m", "py_compile", progs["py"]]
    times = median_times(commands, max(3, args.runs // 2), 0, args.work)
    rows = [(k, times[k], peak_rss_mb(cmd)) for k, cmd in commands.items()]
    wb_t = rows[0][1]
    big_t = median_times({"wb check (10x)": [args.wb, "check", big]}, 3, 0, args.work)
    big_t = big_t["wb check (10x)"]
    goals = [(f"wb check faster than {k} ({wb_t / times[k]:.2f})", wb_t < times[k])
             for k in times if k != "wb check"]
    goals.append((f"10x the program costs at most 12x the time "
                  f"({fmt_time(big_t)}, {big_t / wb_t:.1f}x)", big_t <= 12 * wb_t))
    report.table(f"parse+check: a straight-line program of {n:,} statements, capacity 16",
                 rows, goals)


def startup(args, report):
    example = os.path.join(ROOT, "examples/whiteboard.wb")
    commands = {"wb run examples/whiteboard.wb": [args.wb, "run", example]}
    if have("lua5.4"):
        commands["lua5.4 whiteboard.lua"] = ["lua5.4", os.path.join(PEERS, "whiteboard.lua")]
    commands["python3 whiteboard.py"] = [sys.executable, os.path.join(PEERS, "whiteboard.py")]
    times = median_times(commands, max(100, 20 * args.runs), 10, args.work)
    rows = [(k, times[k], peak_rss_mb(cmd)) for k, cmd in commands.items()]
    wb_t = rows[0][1]
    goals = [(f"under 5 ms median ({fmt_time(wb_t)})", wb_t < 0.005)]
    goals += [(f"faster than {k} ({wb_t / times[k]:.2f})", wb_t < times[k])
              for k in times if not k.startswith("wb ")]
    report.table("start-up: `wb run examples/whiteboard.wb`, whole process", rows, goals)


def luac_peer(args, kind, n):
    """(wb's program, luac5.4 -p's command or None) for a generated program."""
    prog = generate(args.work, kind, n, "wb")
    if not have("luac5.4"):
        return prog, None
    return prog, ["luac5.4", "-p", generate(args.work, kind, n, "lua")]


def warnings(args, report):
    """`wb check` of a program whose writes leave many values unread: a
    person sees the first warnings and a count, a program gets them all."""
    n = int(1_000_000 * args.scale)
    prog, luac = luac_peer(args, "deadwrites", n)
    r = subprocess.run([args.wb, "check", prog], capture_output=True, text=True)
    count = re.search(r"(\d+) warnings?$", r.stderr.strip())
    count = int(count.group(1)) if count else 0
    for fmt, goal in (("human", 1.0), ("json", 0.7)):
        commands = {f"wb check --format {fmt}": [args.wb, "check", "--format", fmt, prog]}
        if luac:
            commands["luac5.4 -p"] = luac
        times = median_times(commands, max(3, args.runs // 2), 1, args.work)
        rows = [(k, times[k], peak_rss_mb(cmd)) for k, cmd in commands.items()]
        goals = []
        if luac:
            ratio = rows[0][1] / times["luac5.4 -p"]
            goals.append((f"at most {goal}x luac5.4 -p ({ratio:.2f})", ratio <= goal))
        report.table(f"check with warnings ({fmt}): {n:,} statements, {count:,} "
                     "`wb::dead_write` warnings", rows, goals)


def clean(args, report):
    """`wb check` of a warning-free program with varied names, parentheses,
    forgets, loops and line lengths."""
    n = int(1_000_000 * args.scale)
    prog, luac = luac_peer(args, "varied", n)
    commands = {"wb check": [args.wb, "check", prog]}
    if luac:
        commands["luac5.4 -p"] = luac
    times = median_times(commands, max(3, args.runs // 2), 1, args.work)
    rows = [(k, times[k], peak_rss_mb(cmd)) for k, cmd in commands.items()]
    goals = []
    if luac:
        ratio = rows[0][1] / times["luac5.4 -p"]
        mem = rows[0][2] / rows[1][2]
        goals += [(f"at most 0.5x luac5.4 -p's time ({ratio:.2f})", ratio <= 0.5),
                  (f"at most 4x luac5.4 -p's memory ({mem:.1f}x)", mem <= 4)]
    report.table(f"check, no warnings: {n:,} varied statements", rows, goals)


def names(args, report):
    """`wb run` of a straight-line program that names a new value every
    three statements: the run is linear in the program."""
    n = int(1_000_000 * args.scale)
    small = generate(args.work, "names", n, "wb")
    big = generate(args.work, "names", 10 * n, "wb")
    commands = {"wb run": [args.wb, "run", small]}
    if have("lua5.4"):
        commands["lua5.4"] = ["lua5.4", generate(args.work, "names", n, "lua")]
    check_same_output(commands)
    times = median_times(commands, max(3, args.runs // 2), 1, args.work)
    big_t = median_times({"wb run (10x)": [args.wb, "run", big]}, 3, 0, args.work)["wb run (10x)"]
    rows = [(k, times[k], peak_rss_mb(cmd)) for k, cmd in commands.items()]
    wb_t = rows[0][1]
    goals = [(f"10x the program costs at most 11x the time ({fmt_time(big_t)}, "
              f"{big_t / wb_t:.1f}x)", big_t <= 11 * wb_t)]
    if "lua5.4" in times:
        ratio = wb_t / times["lua5.4"]
        goals.append((f"at most 1x lua5.4 ({ratio:.2f})", ratio <= 1))
    report.table(f"run, distinct names: {n:,} statements, {n // 3:,} names", rows, goals)


def loop(args, report):
    """`wb run` of a scalar loop: the logistic map, iterated in `repeat`."""
    n = int(100_000_000 * args.scale)
    commands = {"wb run": [args.wb, "run", generate(args.work, "logistic", n, "wb")]}
    for peer in ("lua5.4", "luajit"):
        if have(peer):
            commands[peer] = [peer, generate(args.work, "logistic", n, "lua")]
    check_same_output(commands)
    times = median_times(commands, max(3, args.runs // 2), 1, args.work)
    rows = [(k, times[k], None) for k in commands]
    goals = []
    if "lua5.4" in times:
        ratio = rows[0][1] / times["lua5.4"]
        goals.append((f"at most 0.75x lua5.4 ({ratio:.2f})", ratio <= 0.75))
    report.table(f"loop: `repeat {n:,}` of the logistic map, interpreter", rows, goals)


def timed_stdin(cmd, stdin_path, runs):
    """Median wall seconds of `cmd` with standard input from `stdin_path`
    (hyperfine 1.15 cannot redirect it without a shell)."""
    samples = []
    for _ in range(runs):
        with open(stdin_path, "rb") as src:
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, stdin=src, stdout=subprocess.DEVNULL)
            _, status, _ = os.wait4(proc.pid, 0)
            samples.append(time.perf_counter() - t)
        if status != 0:
            raise subprocess.CalledProcessError(status, cmd)
    return statistics.median(samples)


def repl(args, report):
    """`wb repl < FILE` against `wb run FILE` of the same program (gen.py
    session): the REPL checks and runs entry by entry what `wb run` does at
    once. Goals: at most 2x, and 10x the lines in at most 11x the time."""
    n = int(100_000 * args.scale)
    script = generate(args.work, "session", n)
    big = generate(args.work, "session", 10 * n)
    runs = max(3, args.runs // 2)
    # The same reads (the REPL also shows the board after each write).
    ran = subprocess.run([args.wb, "run", script], capture_output=True, text=True, check=True)
    with open(script, "rb") as src:
        typed = subprocess.run([args.wb, "repl"], stdin=src, capture_output=True, text=True,
                               check=True)
    reads = [l for l in typed.stdout.splitlines() if not l.startswith("[")]
    if reads != ran.stdout.splitlines():
        sys.exit("bench: `wb repl < session` does not read what `wb run session` reads")
    t_run = timed_stdin([args.wb, "run", script], os.devnull, runs)
    t_repl = timed_stdin([args.wb, "repl"], script, runs)
    t_big = timed_stdin([args.wb, "repl"], big, max(1, runs // 2))
    rows = [(f"wb repl < session ({n:,} lines)", t_repl, None),
            (f"wb run session ({n:,} lines)", t_run, None),
            (f"wb repl < session ({10 * n:,} lines)", t_big, None)]
    goals = [(f"wb repl at most 2x wb run ({t_repl / t_run:.2f})", t_repl <= 2 * t_run),
             (f"10x the lines in at most 11x the time ({t_big / t_repl:.1f}x)",
              t_big <= 11 * t_repl)]
    print(f"repl: ratio repl/run {t_repl / t_run:.2f}, 10x lines {t_big / t_repl:.1f}x",
          flush=True)
    report.table(f"repl: a session of {n:,} lines piped into `wb repl`, vs `wb run` of it",
                 rows, goals)


WORKLOADS = {"stream": stream, "batch": batch, "parse": parse, "startup": startup,
             "warnings": warnings, "clean": clean, "names": names, "loop": loop}
WORKLOADS["repl"] = repl


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--only", default=",".join(WORKLOADS),
                   help="comma-separated workloads (" + ",".join(WORKLOADS) + ")")
    p.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="input sizes times this (1 = the sizes of bench/README.md)")
    p.add_argument("--wb", default=os.path.join(ROOT, "target/release/wb"))
    p.add_argument("--work", default=os.path.join(ROOT, "target/bench"),
                   help="where generated inputs and results go")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in only if w not in WORKLOADS]
    if unknown:
        sys.exit(f"bench: unknown workload {', '.join(unknown)} ({', '.join(WORKLOADS)})")
    report = Report()
    header = (f"Machine: {machine()}. Peers: {versions()}. "
              f"Command: `bench/run.sh --only {','.join(only)} --runs {args.runs}"
              f"{'' if args.scale == 1 else f' --scale {args.scale}'}`.")
    print(header + "\n", flush=True)
    for w in only:
        WORKLOADS[w](args, report)
    out = os.path.join(args.work, "results.md")
    report.write(out, header)
    log(f"results written to {out}")


if __name__ == "__main__":
    main()
