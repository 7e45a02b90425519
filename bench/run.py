"""`make bench`: measures the targets of the "columnar core" issue in one run and writes
docs/BENCHMARKS.md (tables generated here, analysis appended from bench/NOTES.md).

Targets (2-core machine):
  1. 1M synthetic records, with 200 and with 5000 files: `pillars build` ≤ 5 s wall and
     ≤ 1024 MiB peak RSS.
  2. 100k records: `pillars build` ≥ 20× faster than `frictionless validate` on the same output
     (datapackage.json); the `export` stage no slower than polars writing the same tables
     (CSV + Parquet); linear growth 10k → 100k → 1M (10× the records ≤ 11× the time).
  3. The real dataset (raw/): `pillars build` ≤ 50 ms, `pillars validate` after an edit ≤ 25 ms.

Method:
  - The real dataset first: raw/ is copied to the scratch directory; `pillars build --quiet`
    BENCH_REAL_RUNS times, then BENCH_REAL_RUNS times `pillars validate --quiet`, each after
    appending a comment line to the same copied file, so no run sees the bytes of the one
    before. Whole process, median wall time.
  - Then for each size (records, files): `pillars synth --records R --files F`, and on that data
      * `pillars build`, BENCH_RUNS times: wall time, user+sys CPU time and peak RSS of the
        process (os.wait4), the stage times from its stderr (`export … (N ms)`), and whether
        output/pillars.xlsx exists after the build (the build may skip the workbook at scale);
      * `frictionless validate --json datapackage.json` (sizes up to
        BENCH_FRICTIONLESS_MAX_RECORDS; a run over a minute is not repeated; a run over
        BENCH_FRICTIONLESS_TIMEOUT is killed and reported as a lower bound);
      * bench/convert.py with polars and with pandas + pyarrow: read the produced CSVs, write
        Parquet (and, polars, CSV again); BENCH_RUNS times each, per-step times from its stdout.
    The load average (1, 5, 15 min) is read before and after each size; the size's scratch
    data (synthetic raw/, output, tool outputs) is deleted once measured.
  - Every time is the median of the runs (the count is in the tables); peak RSS is the maximum.
  - The pillars commit (`git rev-parse --short HEAD`) and whether tracked files were modified
    are recorded, and whether the binary is older than the sources.
  - Results go to a JSON file after every size; `bench/run.py --report` re-renders the Markdown
    from it (e.g. after writing the analysis in bench/NOTES.md).

Environment knobs:
  BENCH_SIZES        records:files pairs, comma-separated (default
                     "10000:50,100000:500,1000000:200,1000000:5000"); a bare N means N:N/200
  BENCH_RUNS         runs of each synthetic measurement (default 3)
  BENCH_REAL_RUNS    runs of each real-dataset command (default 30)
  BENCH_FRICTIONLESS_MAX_RECORDS  largest size frictionless runs at (default 100000; at 1M it
                     takes about 6 minutes a run: 1000000 enables it), "all" or "none"
  BENCH_FRICTIONLESS_TIMEOUT      seconds before a frictionless run is killed (default 600)
  BENCH_PANDAS_MAX_RECORDS        largest size pandas runs at (default "all")
  BENCH_BUILD_TIMEOUT             seconds before a `pillars build` is killed (default 1800)
  BENCH_TOOL_TIMEOUT              seconds before a pandas/polars run is killed (default 1800)
  BENCH_OUT          the Markdown written (default docs/BENCHMARKS.md when BENCH_SIZES is unset,
                     else target/bench/BENCHMARKS.md, so a partial run does not replace the
                     committed report)
  The results JSON is target/bench/results.json for docs/BENCHMARKS.md, else BENCH_OUT with
  the suffix .json.

Quick check while developing (well under a minute):
  BENCH_SIZES=2000:10 BENCH_RUNS=1 BENCH_REAL_RUNS=3 .venv/bin/python bench/run.py
Scratch data goes to target/bench/ (gitignored).
"""

import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "pillars"
PY = Path(sys.executable)
FRICTIONLESS = PY.parent / "frictionless"
CONVERT = ROOT / "bench" / "convert.py"
NOTES = ROOT / "bench" / "NOTES.md"
SCRATCH = ROOT / "target" / "bench"
DEFAULT_OUT = ROOT / "docs" / "BENCHMARKS.md"
ENV = dict(os.environ, PILLARS_TODAY="2026-01-01")
DEFAULT_SIZES = "10000:50,100000:500,1000000:200,1000000:5000"

# The targets (2-core machine).
BIG, MID = 1_000_000, 100_000
BIG_FILES = (200, 5000)
BIG_MAX_S, BIG_MAX_RSS_MIB = 5.0, 1024
MIN_FRICTIONLESS_RATIO = 20
GROWTH_MAX = 11  # time ratio allowed for 10× the records
REAL_BUILD_MAX_S, REAL_VALIDATE_MAX_S = 0.050, 0.025


# ---------------------------------------------------------------- configuration


def parse_sizes(text: str) -> list:
    """"10000:50,100000" → [[10000, 50], [100000, 500]] (a bare N has N/200 files, at least 2)."""
    sizes = []
    for item in text.split(","):
        records, _, files = item.strip().partition(":")
        n = int(records)
        sizes.append([n, int(files) if files else max(2, n // 200)])
    return sizes


def records_limit(name: str, default: str) -> float:
    """A size limit knob: a record count, "all" (no limit) or "none" (never)."""
    value = os.environ.get(name, default).strip().lower()
    return {"all": float("inf"), "none": -1}.get(value) or float(value)


def config() -> dict:
    out = os.environ.get("BENCH_OUT")
    if out:
        out = Path(out).resolve()
    else:
        out = DEFAULT_OUT if "BENCH_SIZES" not in os.environ else SCRATCH / "BENCHMARKS.md"
    return {
        "sizes": parse_sizes(os.environ.get("BENCH_SIZES", DEFAULT_SIZES)),
        "runs": int(os.environ.get("BENCH_RUNS", "3")),
        "real_runs": int(os.environ.get("BENCH_REAL_RUNS", "30")),
        "frictionless_max": records_limit("BENCH_FRICTIONLESS_MAX_RECORDS", "100000"),
        "frictionless_timeout": float(os.environ.get("BENCH_FRICTIONLESS_TIMEOUT", "600")),
        "pandas_max": records_limit("BENCH_PANDAS_MAX_RECORDS", "all"),
        "build_timeout": float(os.environ.get("BENCH_BUILD_TIMEOUT", "1800")),
        "tool_timeout": float(os.environ.get("BENCH_TOOL_TIMEOUT", "1800")),
        "out": str(out),
    }


def results_path(out: Path) -> Path:
    return SCRATCH / "results.json" if out == DEFAULT_OUT else out.with_suffix(".json")


# ---------------------------------------------------------------- measuring one process


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + sys
    rss_mib: float  # the process's own peak (wait4), not the maximum over earlier children
    stdout: str
    stderr: str
    code: int  # exit code; None when killed by the timeout
    timed_out: bool


def measure(cmd, timeout=None) -> Run:
    """Runs cmd (its own process group), killing the group after `timeout` seconds."""
    out_path, err_path = SCRATCH / "stdout.txt", SCRATCH / "stderr.txt"
    lock, state = threading.Lock(), {"done": False, "killed": False}
    with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            [str(c) for c in cmd], cwd=ROOT, env=ENV, stdout=out_f, stderr=err_f,
            start_new_session=True,
        )

        def kill():
            with lock:
                if not state["done"]:
                    state["killed"] = True
                    os.killpg(p.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        with lock:
            state["done"] = True
        if timer:
            timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return Run(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        rss_mib=usage.ru_maxrss / 1024,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        code=None if state["killed"] else p.returncode,
        timed_out=state["killed"],
    )


def failure(run: Run, what: str, timeout) -> str:
    """Why a run failed, in one line; "" when it did not."""
    if run.timed_out:
        return f"{what} killed after {timeout:.0f} s (timeout)"
    if run.code != 0:
        tail = run.stderr.strip().splitlines()[-1:] or [""]
        return f"{what} exited with code {run.code}: {tail[0][:200]}"
    return ""


def median(xs):
    return statistics.median(xs) if xs else None


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def stage_ms(stderr: str) -> dict:
    """The stage lines of `pillars build`: `export     9 tables → … (296.6 ms)` → {"export": 296.6}."""
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\w+)\s.*\(([0-9.]+) ms\)$", stderr, re.M)
    }


# ---------------------------------------------------------------- the synthetic sizes


def bench_build(cfg: dict, raw: Path, out: Path) -> dict:
    """`pillars build` BENCH_RUNS times on raw/ into out/."""
    cmd = [BIN, "build", "--raw", raw, "--schema", ROOT / "schema", "--out", out]
    runs, xlsx = [], []
    for _ in range(cfg["runs"]):
        run = measure(cmd, cfg["build_timeout"])
        error = failure(run, "pillars build", cfg["build_timeout"])
        if error:
            return {"error": error, "wall_s": run.wall_s, "timed_out": run.timed_out}
        runs.append(run)
        xlsx.append((out / "pillars.xlsx").exists())
    stages = [stage_ms(r.stderr) for r in runs]
    names = [k for k in stages[0] if k != "wrote"]
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "runs": len(runs),
        "wall_s": median([r.wall_s for r in runs]),
        "cpu_s": median([r.cpu_s for r in runs]),
        "rss_mib": max(r.rss_mib for r in runs),
        "stages_ms": {k: median([s.get(k, 0) for s in stages]) for k in names},
        # Wall time outside the stage lines: start-up, schema, writing the files, exit.
        "rest_ms": median([r.wall_s * 1e3 - sum(s.get(k, 0) for k in names)
                           for r, s in zip(runs, stages)]),
        "xlsx_written": xlsx[0] if len(set(xlsx)) == 1 else "varied",
        "rows": {Path(f["path"]).stem: f["rows"]
                 for f in manifest["files"] if f["path"].startswith("csv/")},
        "output_bytes": sum(f["bytes"] for f in manifest["files"]),
    }


def frictionless_valid(stdout: str):
    """The `valid` flag of `frictionless validate --json`, or None when its output is not JSON."""
    start = stdout.find("{")
    try:
        return json.loads(stdout[start:]).get("valid") if start >= 0 else None
    except ValueError:
        return None


def bench_frictionless(cfg: dict, out: Path) -> dict:
    timeout = cfg["frictionless_timeout"]
    runs = []
    for _ in range(cfg["runs"]):
        run = measure([FRICTIONLESS, "validate", "--json", out / "datapackage.json"], timeout)
        runs.append(run)
        if run.timed_out or run.wall_s > 60:
            break  # one run of over a minute is precise enough; the table says "1 run"
    return {
        "runs": len(runs),
        "wall_s": median([r.wall_s for r in runs]),
        "rss_mib": max(r.rss_mib for r in runs),
        "timed_out": runs[-1].timed_out,
        "timeout_s": timeout,
        "exit_code": runs[-1].code,
        "valid": None if runs[-1].timed_out else frictionless_valid(runs[-1].stdout),
    }


def bench_convert(cfg: dict, tool: str, out: Path, scratch: Path) -> dict:
    """bench/convert.py TOOL BENCH_RUNS times: whole process, and its own per-step times."""
    runs, steps = [], []
    for _ in range(cfg["runs"]):
        run = measure([PY, CONVERT, tool, out, scratch], cfg["tool_timeout"])
        error = failure(run, tool, cfg["tool_timeout"])
        if error:
            return {"error": error}
        runs.append(run)
        steps.append(json.loads(run.stdout))
    return {
        "runs": len(runs),
        "wall_s": median([r.wall_s for r in runs]),
        "rss_mib": max(r.rss_mib for r in runs),
        "steps": {k: median([s[k] for s in steps]) for k in steps[0]},
    }


def bench_size(cfg: dict, records: int, files: int) -> dict:
    d = SCRATCH / f"n{records}-f{files}"
    if d.exists():
        shutil.rmtree(d)
    res = {"records": records, "files": files, "load_before": load()}
    try:
        subprocess.run(
            [BIN, "synth", "--records", str(records), "--files", str(files), "--out", d / "raw"],
            check=True, env=ENV, stderr=subprocess.PIPE,
        )
        out = d / "output"
        res["pillars"] = p = bench_build(cfg, d / "raw", out)
        if "error" in p:
            print(f"  pillars build   FAILED: {p['error']}", flush=True)
        else:
            print(f"  pillars build   {p['wall_s']:.2f} s, {p['rss_mib']:.0f} MiB, "
                  f"workbook written: {p['xlsx_written']}", flush=True)
            bench_tools(cfg, res, out, d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    res["load_after"] = load()
    return res


def bench_tools(cfg: dict, res: dict, out: Path, d: Path) -> None:
    """frictionless, polars and pandas on the output of `pillars build` (into res)."""
    n = res["records"]
    if n <= cfg["frictionless_max"]:
        res["frictionless"] = f = bench_frictionless(cfg, out)
        print(f"  frictionless    {f['wall_s']:.2f} s{' (timeout)' if f['timed_out'] else ''}",
              flush=True)
    for tool, limit in [("polars", float("inf")), ("pandas", cfg["pandas_max"])]:
        if n > limit:
            continue
        res[tool] = t = bench_convert(cfg, tool, out, d / f"{tool}-out")
        print(f"  {tool:<15} " + (t["error"] if "error" in t else f"{t['wall_s']:.2f} s"),
              flush=True)


# ---------------------------------------------------------------- the real dataset


def bench_real(cfg: dict) -> dict:
    d = SCRATCH / "real"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(ROOT / "raw", d / "raw")
    common = ["--raw", d / "raw", "--schema", ROOT / "schema", "--quiet"]
    n = cfg["real_runs"]
    res = {"load_before": load(), "runs": n}
    builds = [measure([BIN, "build", *common, "--out", d / "output"]) for _ in range(n)]
    if any(b.code != 0 for b in builds):
        sys.exit(f"pillars build failed on raw/:\n{builds[0].stderr}")
    # `pillars validate` after an edit: append a comment to one file before every run, so no
    # run sees the same bytes as the one before (pillars keeps no cache either way).
    edited = sorted((d / "raw").glob("0*.toml"))[0]
    vals = []
    for i in range(n):
        with open(edited, "a") as f:
            f.write(f"# edit {i}\n")
        vals.append(measure([BIN, "validate", *common]))
    if any(v.code != 0 for v in vals):
        sys.exit(f"pillars validate failed on raw/:\n{vals[0].stderr}")
    res.update(
        build_s=median([b.wall_s for b in builds]),
        build_cpu_s=median([b.cpu_s for b in builds]),
        build_rss_mib=max(b.rss_mib for b in builds),
        validate_s=median([v.wall_s for v in vals]),
        validate_cpu_s=median([v.cpu_s for v in vals]),
        validate_rss_mib=max(v.rss_mib for v in vals),
        edited=edited.name,
        load_after=load(),
    )
    shutil.rmtree(d, ignore_errors=True)
    return res


# ---------------------------------------------------------------- the machine and the build


def git(*args) -> str:
    return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True).stdout


def git_state() -> dict:
    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    sources = [ROOT / p for p in git("ls-files", "src", "Cargo.toml", "Cargo.lock").split()]
    newest = max((p.stat().st_mtime for p in sources if p.exists()), default=0)
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip(),
        "dirty": bool(changed),
        "changed": changed,
        "binary_older_than_sources": BIN.stat().st_mtime < newest,
    }


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    names = ["pandas", "polars", "pyarrow", "frictionless"]
    versions = subprocess.run(
        [PY, "-c", f"import {', '.join(names)}; print({', '.join(n + '.__version__' for n in names)})"],
        capture_output=True, text=True,
    ).stdout.split()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        **{n: versions[i] if i < len(versions) else "?" for i, n in enumerate(names)},
        "pillars": subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip(),
        **git_state(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


# ---------------------------------------------------------------- the report


def secs(x) -> str:
    return "—" if x is None else f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def n_runs(n: int) -> str:
    return f"{n} run{'s' if n != 1 else ''}"


def size_label(s: dict) -> str:
    return f"{s['records']:,} records, {s['files']:,} files"


def ok(s: dict, tool: str) -> bool:
    """Whether `tool` was measured at size s and did not fail."""
    return tool in s and "error" not in s[tool]


def no_more_than(value: float, limit: float) -> str:
    if value <= limit:
        return f"**met** ({(1 - value / limit) * 100:.0f}% under)"
    return f"**not met** ({value / limit:.2f}× the limit)"


def at_least(value: float, required: float) -> str:
    if value >= required:
        return f"**met** ({value / required:.2f}× the required)"
    return f"**not met** (needs {required / value:.2f}× more)"


def frictionless_ratio(s: dict):
    """(frictionless ÷ pillars, '> ' when frictionless timed out) or None."""
    if not (ok(s, "pillars") and "frictionless" in s):
        return None
    f = s["frictionless"]
    return f["wall_s"] / s["pillars"]["wall_s"], "> " if f["timed_out"] else ""


def polars_write_s(s: dict):
    if not ok(s, "polars"):
        return None
    steps = s["polars"]["steps"]
    return steps["write_csv_s"] + steps["write_parquet_s"]


def loads(s: dict) -> str:
    return f"{s['load_before']} → {s['load_after']}"


def target_rows(sizes: list, real: dict) -> list:
    """[target, size, measured, verdict, load] rows; a target whose size was not in the run says
    so. The 1M targets have a row for each file count required and each one measured."""
    rows = []
    big = [s for s in sizes if s["records"] == BIG]
    big_keys = sorted({s["files"] for s in big} | set(BIG_FILES))
    for files in big_keys:
        s = next((s for s in big if s["files"] == files), None)
        label = f"{BIG:,} records, {files:,} files"
        if s is None:
            rows.append([f"`pillars build` ≤ {BIG_MAX_S:.0f} s and ≤ {BIG_MAX_RSS_MIB} MiB", label,
                         "not measured in this run", "—", ""])
        elif not ok(s, "pillars"):
            rows.append([f"`pillars build` ≤ {BIG_MAX_S:.0f} s and ≤ {BIG_MAX_RSS_MIB} MiB", label,
                         s["pillars"]["error"], "**not met** (failed)", loads(s)])
        else:
            p = s["pillars"]
            rows.append([f"`pillars build` ≤ {BIG_MAX_S:.0f} s wall", label, secs(p["wall_s"]),
                         no_more_than(p["wall_s"], BIG_MAX_S), loads(s)])
            rows.append([f"`pillars build` peak RSS ≤ {BIG_MAX_RSS_MIB} MiB", label,
                         f"{p['rss_mib']:,.0f} MiB", no_more_than(p["rss_mib"], BIG_MAX_RSS_MIB),
                         loads(s)])
    mid = [s for s in sizes if s["records"] == MID]
    fl_target = f"`pillars build` ≥ {MIN_FRICTIONLESS_RATIO}× faster than `frictionless validate`"
    ex_target = "`export` stage no slower than polars writing CSV + Parquet"
    for s in mid or [None]:
        label = size_label(s) if s else f"{MID:,} records"
        r = frictionless_ratio(s) if s else None
        if r is None:
            rows.append([fl_target, label, "not measured in this run", "—", loads(s) if s else ""])
        else:
            verdict = at_least(r[0], MIN_FRICTIONLESS_RATIO)
            if r[1] and r[0] < MIN_FRICTIONLESS_RATIO:
                verdict = "undetermined (frictionless timed out: the ratio is a lower bound)"
            rows.append([fl_target, label,
                         f"{r[1]}{r[0]:.1f}× ({secs(s['frictionless']['wall_s'])} vs "
                         f"{secs(s['pillars']['wall_s'])})", verdict, loads(s)])
        pw = polars_write_s(s) if s else None
        if pw is None or not ok(s, "pillars"):
            rows.append([ex_target, label, "not measured in this run", "—", loads(s) if s else ""])
        else:
            export_s = s["pillars"]["stages_ms"].get("export", 0) / 1e3
            rows.append([ex_target, label, f"export {secs(export_s)} vs polars {secs(pw)}",
                         no_more_than(export_s, pw), loads(s)])
    pairs = [(a, b) for a in sizes for b in sizes if b["records"] == 10 * a["records"]]
    growth = f"linear growth: 10× the records ≤ {GROWTH_MAX}× the time"
    for a, b in pairs:
        label = f"{a['records']:,} ({a['files']:,} files) → {b['records']:,} ({b['files']:,} files)"
        if not (ok(a, "pillars") and ok(b, "pillars")):
            rows.append([growth, label, "a build failed", "—", f"{loads(a)} / {loads(b)}"])
            continue
        r = b["pillars"]["wall_s"] / a["pillars"]["wall_s"]
        rows.append([growth, label, f"{r:.1f}× the time", no_more_than(r, GROWTH_MAX),
                     f"{loads(a)} / {loads(b)}"])
    if not pairs:
        rows.append([growth, "10k → 100k → 1M", "not measured in this run", "—", ""])
    real_load = f"{real['load_before']} → {real['load_after']}"
    rows.append([f"`pillars build` ≤ {REAL_BUILD_MAX_S * 1e3:.0f} ms", "real dataset (raw/)",
                 secs(real["build_s"]), no_more_than(real["build_s"], REAL_BUILD_MAX_S), real_load])
    rows.append([f"`pillars validate` after an edit ≤ {REAL_VALIDATE_MAX_S * 1e3:.0f} ms",
                 "real dataset (raw/)", secs(real["validate_s"]),
                 no_more_than(real["validate_s"], REAL_VALIDATE_MAX_S), real_load])
    return rows


def table(header: list, rows: list) -> list:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *["| " + " | ".join(str(c) for c in row) + " |" for row in rows], ""]


def machine_section(m: dict, cfg: dict) -> list:
    tree = "clean" if not m["dirty"] else \
        f"modified: {', '.join(m['changed'][:6])}{' …' if len(m['changed']) > 6 else ''}"
    lines = [
        "## Machine and build\n",
        f"- {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}",
        f"- {m['pillars']}, commit {m['commit']}, working tree {tree}",
    ]
    if m["binary_older_than_sources"]:
        lines.append("- **the binary is older than src/ (by file time): it may not be built from "
                     "this commit**")
    lines += [
        f"- Python {m['python']}: pandas {m['pandas']}, pyarrow {m['pyarrow']}, "
        f"polars {m['polars']}, frictionless {m['frictionless']}",
        f"- measured {m['date']} to {m.get('finished', '?')}; the machine is shared, so the load average (1, 5, 15 min) is "
        "given before → after each size",
        f"- synthetic runs: {cfg['runs']} per measurement (frictionless: one when a run takes "
        "over a minute); real dataset: "
        f"{cfg['real_runs']} per command\n",
    ]
    return lines


def side_by_side(sizes: list) -> list:
    head = ["records", "files", "rows out (provenance)", "workbook written",
            "pillars build", "CPU user+sys", "records/s", "frictionless validate", "× pillars",
            "polars", "× pillars", "pandas+pyarrow", "× pillars", "load before → after"]
    rows = []
    for s in sizes:
        row = [f"{s['records']:,}", f"{s['files']:,}"]
        if not ok(s, "pillars"):
            rows.append(row + [s.get("pillars", {}).get("error", "not run")] + [""] * 10
                        + [loads(s)])
            continue
        p = s["pillars"]
        rows_out = sum(v for k, v in p["rows"].items() if k != "provenance")
        row += [f"{rows_out:,} ({p['rows'].get('provenance', 0):,})",
                {True: "yes", False: "no"}.get(p["xlsx_written"], p["xlsx_written"]),
                f"{secs(p['wall_s'])} ({n_runs(p['runs'])})", secs(p["cpu_s"]),
                f"{s['records'] / p['wall_s']:,.0f}"]
        for tool in ["frictionless", "polars", "pandas"]:
            row += tool_cells(s, tool)
        rows.append(row + [loads(s)])
    return table(head, rows)


def tool_cells(s: dict, tool: str) -> list:
    """[time, × pillars] of one tool at one size."""
    if tool not in s:
        return ["not run", ""]
    t = s[tool]
    if "error" in t:
        return [t["error"], ""]
    ratio = t["wall_s"] / s["pillars"]["wall_s"]
    if tool == "frictionless":
        valid = {True: "valid", False: "**invalid**", None: "validity unknown"}[t["valid"]]
        if t["timed_out"]:
            return [f"> {t['timeout_s']:.0f} s (timed out, 1 run)", f"> {ratio:.1f}×"]
        return [f"{secs(t['wall_s'])} ({n_runs(t['runs'])}, {valid})", f"{ratio:.1f}×"]
    return [secs(t["wall_s"]), f"{ratio:.1f}×"]


def stage_table(sizes: list) -> list:
    head = ["records", "files", "extract", "normalise", "validate", "reconcile", "export",
            "rest of the process", "polars write CSV + Parquet", "export ÷ polars write",
            "polars read CSV", "pandas read CSV", "pandas write Parquet"]
    rows = []
    for s in [s for s in sizes if ok(s, "pillars")]:
        st = s["pillars"]["stages_ms"]
        row = [f"{s['records']:,}", f"{s['files']:,}"]
        row += [f"{st[k]:,.0f}" if k in st else "—"
                for k in ["extract", "normalise", "validate", "reconcile", "export"]]
        row.append(f"{s['pillars']['rest_ms']:,.0f}")
        pw = polars_write_s(s)
        row += ["—", "—", "—"] if pw is None else [
            f"{pw * 1e3:,.0f}", f"{st.get('export', 0) / 1e3 / pw:.2f}",
            f"{s['polars']['steps']['read_s'] * 1e3:,.0f}"]
        row += ["—", "—"] if not ok(s, "pandas") else [
            f"{s['pandas']['steps'][k] * 1e3:,.0f}" for k in ["read_s", "write_parquet_s"]]
        rows.append(row)
    return table(head, rows)


def rss_table(sizes: list) -> list:
    rows = []
    for s in sizes:
        rows.append([f"{s['records']:,}", f"{s['files']:,}"] + [
            f"{s[t]['rss_mib']:,.0f} MiB" if ok(s, t) else "—"
            for t in ["pillars", "frictionless", "polars", "pandas"]])
    return table(["records", "files", "pillars build", "frictionless validate", "polars",
                  "pandas+pyarrow"], rows)


def real_section(real: dict) -> list:
    return [
        "## The real dataset (raw/)\n",
        f"Whole process, median of {n_runs(real['runs'])} each; `validate` runs after appending a "
        f"comment line to raw/{real['edited']} (a copy) each time. Load {real['load_before']} → "
        f"{real['load_after']}.\n",
        *table(["command", "wall time", "CPU user+sys", "peak RSS"], [
            ["`pillars build`", secs(real["build_s"]), secs(real["build_cpu_s"]),
             f"{real['build_rss_mib']:.0f} MiB"],
            ["`pillars validate` (after an edit)", secs(real["validate_s"]),
             secs(real["validate_cpu_s"]), f"{real['validate_rss_mib']:.0f} MiB"],
        ]),
    ]


def report(results: dict) -> str:
    m, cfg, sizes, real = results["machine"], results["config"], results["sizes"], results["real"]
    L = ["# Benchmarks\n",
         "Generated by `make bench` (bench/run.py, which documents the method); do not edit the "
         "tables by hand. The analysis at the end is bench/NOTES.md.\n"]
    L += machine_section(m, cfg)
    L += ["## Targets (2-core machine)\n",
          "Each target at the size it names, from the measurements below; a size missing from "
          "this run is marked so. Wall times are whole processes, medians of the runs.\n"]
    L += table(["target", "size", "measured", "verdict", "load before → after"],
               target_rows(sizes, real))
    L += ["## Synthetic data, side by side\n",
          "`pillars synth --records R --files F`, then on the same data: `pillars build` (all "
          "stages, CSV + Parquet + JSON, and the workbook output/pillars.xlsx when the build "
          "writes it: checked in the output after each build), `frictionless validate` on the "
          "produced datapackage.json, and polars and pandas + pyarrow reading the produced CSVs "
          "(every column as text, their cheapest route) and writing Parquet (bench/convert.py). "
          "Wall time of the whole process, median of the runs; × pillars is the tool's time "
          "over `pillars build`'s.\n"]
    L += side_by_side(sizes)
    L += ["Stage times of `pillars build` from its stderr (median, ms; \"rest of the process\" "
          "is wall time outside the stage lines: start-up, writing the files, exit) and the "
          "Python tools' own steps (median, ms; polars also writes the tables back as CSV):\n"]
    L += stage_table(sizes)
    L += ["Peak RSS (largest over the runs):\n"]
    L += rss_table(sizes)
    L += real_section(real)
    if NOTES.exists():
        L.append(NOTES.read_text())
    return "\n".join(L).rstrip() + "\n"


# ---------------------------------------------------------------- main


def main() -> None:
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: run `cargo build --release` (make does it)")
    SCRATCH.mkdir(parents=True, exist_ok=True)
    cfg = config()
    out = Path(cfg["out"])
    res_path = results_path(out)
    if sys.argv[1:] == ["--report"]:
        out.write_text(report(json.loads(res_path.read_text())))
        print(f"wrote {out} from {res_path}")
        return
    m = machine()
    print(f"machine: {m['nproc']} × {m['cpu']}, {m['ram_gib']} GiB; commit {m['commit']}"
          f"{' (dirty)' if m['dirty'] else ''}; load {load()}", flush=True)
    print("real dataset", flush=True)
    results = {"machine": m, "config": cfg, "real": bench_real(cfg), "sizes": []}
    r = results["real"]
    print(f"  build {secs(r['build_s'])}, validate after an edit {secs(r['validate_s'])}",
          flush=True)
    for records, files in cfg["sizes"]:
        print(f"{records:,} records, {files:,} files (load {load()})", flush=True)
        results["sizes"].append(bench_size(cfg, records, files))
        res_path.write_text(json.dumps(results, indent=1))
    m["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    res_path.write_text(json.dumps(results, indent=1))
    out.write_text(report(results))
    print(f"wrote {out} (results: {res_path})")


if __name__ == "__main__":
    main()
