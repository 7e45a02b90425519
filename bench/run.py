"""`make bench`: times `pillars build` at 10k, 100k and 1M synthetic records side by side
with the tools people would use instead, on the same data, and writes docs/BENCHMARKS.md.

For each size N (synthetic raw/ from `pillars synth --records N --files N/200`):
  - `pillars build`: wall time, records/s, peak RSS (os.wait4), stage times from stderr;
  - (a) `frictionless validate` on the produced datapackage.json (capped by a timeout);
  - (b) pandas + pyarrow: read the produced CSVs, write Parquet (bench/convert.py);
  - (c) polars: the same, plus writing the tables back as CSV (to compare with our export).
Then the real dataset: `pillars build` and `pillars validate` on raw/ (whole process).
Every timing is the median of several runs; the count is in the table.

`bench/run.py --report` rewrites docs/BENCHMARKS.md from target/bench/results.json.
Environment: BENCH_SIZES (default "10000,100000,1000000"), BENCH_RUNS (default 3),
BENCH_FRICTIONLESS_TIMEOUT seconds (default 600), BENCH_REAL_RUNS (default 30).
Scratch data goes to target/bench/ (gitignored).
"""

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "pillars"
PY = Path(sys.executable)
FRICTIONLESS = PY.parent / "frictionless"
SCRATCH = ROOT / "target" / "bench"
ENV = dict(os.environ, PILLARS_TODAY="2026-01-01")

SIZES = [int(x) for x in os.environ.get("BENCH_SIZES", "10000,100000,1000000").split(",")]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
FL_TIMEOUT = float(os.environ.get("BENCH_FRICTIONLESS_TIMEOUT", "600"))
REAL_RUNS = int(os.environ.get("BENCH_REAL_RUNS", "30"))


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(cmd, cwd=ROOT, timeout=None):
    """Runs cmd; returns (wall seconds, peak RSS in MiB, stdout, stderr, exit code or None on
    timeout). Peak RSS is the child's own (wait4), not the maximum over earlier children."""
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [str(c) for c in cmd], cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return time.perf_counter() - t0, None, "", "", None
    wall = time.perf_counter() - t0
    return wall, None, out.decode(), err.decode(), p.returncode


def run_rss(cmd, cwd=ROOT):
    """Like run, without a timeout, and with the child's peak RSS from wait4."""
    t0 = time.perf_counter()
    err_path = SCRATCH / "stderr.txt"
    with open(err_path, "wb") as err_f, open(os.devnull, "wb") as null:
        p = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=ENV, stdout=null, stderr=err_f)
        _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, err_path.read_text(), p.returncode


def median(xs):
    return statistics.median(xs) if xs else None


def stage_ms(stderr: str) -> dict:
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\w+)\s.*\(([0-9.]+) ms\)$", stderr, re.M)
    }


def bench_size(n: int) -> dict:
    d = SCRATCH / f"n{n}"
    files = max(2, n // 200)
    res = {"records": n, "files": files, "load_before": load()}
    subprocess.run(
        [BIN, "synth", "--records", str(n), "--files", str(files), "--out", d / "raw"],
        check=True,
        env=ENV,
        stderr=subprocess.PIPE,
    )
    out = d / "output"
    walls, rss, stages = [], [], []
    for _ in range(RUNS):
        wall, mib, err, code = run_rss(
            [BIN, "build", "--raw", d / "raw", "--schema", ROOT / "schema", "--out", out]
        )
        if code != 0:
            sys.exit(f"pillars build failed on {n} records:\n{err}")
        walls.append(wall)
        rss.append(mib)
        stages.append(stage_ms(err))
    res["pillars_runs"] = RUNS
    res["pillars_s"] = median(walls)
    res["pillars_rss_mib"] = max(rss)
    res["stages_ms"] = {k: median([s[k] for s in stages]) for k in stages[0]}
    manifest = json.loads((out / "manifest.json").read_text())
    res["rows"] = {
        Path(f["path"]).stem: f["rows"] for f in manifest["files"] if f["path"].startswith("csv/")
    }
    res["output_bytes"] = sum(f["bytes"] for f in manifest["files"])
    print(f"  pillars build   {res['pillars_s']:.2f} s, {res['pillars_rss_mib']:.0f} MiB", flush=True)

    # (a) frictionless validate; a run that times out is not repeated.
    fl = []
    res["frictionless_timeout"] = False
    for _ in range(RUNS):
        wall, _, stdout, _, code = run(
            [FRICTIONLESS, "validate", "--json", out / "datapackage.json"], timeout=FL_TIMEOUT
        )
        if code is None:
            res["frictionless_timeout"] = True
            fl = [wall]
            break
        fl.append(wall)
        if wall > 60:
            break  # one run of over a minute is precise enough; the table says "1 run"
        try:
            res["frictionless_valid"] = json.loads(stdout).get("valid")
        except ValueError:
            res["frictionless_valid"] = None
    res["frictionless_runs"] = len(fl)
    res["frictionless_s"] = median(fl)
    print(f"  frictionless    {res['frictionless_s']:.2f} s{' (timeout)' if res['frictionless_timeout'] else ''}", flush=True)

    # (b), (c) pandas + pyarrow, polars: CSV → Parquet.
    for tool in ["pandas", "polars"]:
        walls, rss, inner = [], [], []
        for _ in range(RUNS):
            wall, mib, err, code = run_rss(
                [PY, ROOT / "bench" / "convert.py", tool, out, d / f"{tool}-out"]
            )
            if code != 0:
                sys.exit(f"{tool} failed on {n} records:\n{err}")
            walls.append(wall)
            rss.append(mib)
        # The per-step times come from one more run, printed on stdout.
        _, _, stdout, _, _ = run([PY, ROOT / "bench" / "convert.py", tool, out, d / f"{tool}-out"])
        inner = json.loads(stdout)
        res[f"{tool}_runs"] = RUNS
        res[f"{tool}_s"] = median(walls)
        res[f"{tool}_rss_mib"] = max(rss)
        res[f"{tool}_steps"] = inner
        print(f"  {tool:<15} {res[tool + '_s']:.2f} s", flush=True)
    res["load_after"] = load()
    return res


def bench_real() -> dict:
    d = SCRATCH / "real"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(ROOT / "raw", d / "raw")
    common = ["--raw", d / "raw", "--schema", ROOT / "schema", "--quiet"]
    res = {"load_before": load(), "runs": REAL_RUNS}
    builds = [run_rss([BIN, "build", *common, "--out", d / "output"]) for _ in range(REAL_RUNS)]
    assert all(b[3] == 0 for b in builds), builds[0][2]
    res["build_s"] = median([b[0] for b in builds])
    res["build_rss_mib"] = max(b[1] for b in builds)
    # `pillars validate` after an edit: append a comment to one file before every run, so no
    # run sees the same bytes as the one before (pillars keeps no cache either way).
    target = sorted((d / "raw").glob("0*.toml"))[0]
    vals = []
    for i in range(REAL_RUNS):
        with open(target, "a") as f:
            f.write(f"# edit {i}\n")
        vals.append(run_rss([BIN, "validate", *common]))
    assert all(v[3] == 0 for v in vals), vals[0][2]
    res["validate_s"] = median([v[0] for v in vals])
    res["load_after"] = load()
    return res


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    tools = subprocess.run(
        [PY, "-c", "import pandas, polars, pyarrow, frictionless; print(pandas.__version__, polars.__version__, pyarrow.__version__, frictionless.__version__)"],
        capture_output=True,
        text=True,
    ).stdout.split()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pandas": tools[0] if tools else "?",
        "polars": tools[1] if len(tools) > 1 else "?",
        "pyarrow": tools[2] if len(tools) > 2 else "?",
        "frictionless": tools[3] if len(tools) > 3 else "?",
        "pillars": subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.strip(),
        "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def report(m: dict, sizes: list, real: dict) -> str:
    L = []
    L.append("# Benchmarks\n")
    L.append("Generated by `make bench` (bench/run.py); do not edit the tables by hand. "
             "The analysis at the end is bench/NOTES.md.\n")
    L.append("## Machine\n")
    L.append(f"- {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}")
    L.append(f"- {m['pillars']} (commit {m['commit']}); Python {m['python']}: pandas {m['pandas']}, "
             f"pyarrow {m['pyarrow']}, polars {m['polars']}, frictionless {m['frictionless']}")
    L.append(f"- measured {m['date']}; the machine is shared, so the load average (1, 5, 15 min) "
             "is given before and after each size\n")
    L.append("## Synthetic data, side by side\n")
    L.append("`pillars synth --records N --files N/200`, then on the same data: `pillars build` "
             "(all stages, CSV + Parquet + JSON, written atomically), (a) `frictionless validate "
             "datapackage.json`, (b) pandas + pyarrow reading the produced CSVs and writing "
             "Parquet, (c) polars doing the same. Wall time of the whole process, median of the "
             "runs shown; peak RSS is the largest over the runs. The Python tools read every "
             "column as text (no type inference), their cheapest route.\n")
    L.append("| records | files | rows out (provenance) | pillars build | records/s | peak RSS | "
             "frictionless validate | × pillars | pandas+pyarrow | × pillars | polars | × pillars | load before → after |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in sizes:
        rows = sum(v for k, v in s["rows"].items() if k != "provenance")
        fl = f"{s['frictionless_s']:.2f} s ({s['frictionless_runs']} run{'s' if s['frictionless_runs'] > 1 else ''})"
        ratio = s["frictionless_s"] / s["pillars_s"]
        if s["frictionless_timeout"]:
            fl = f"> {FL_TIMEOUT:.0f} s (timed out, 1 run)"
            fl_ratio = f"> {ratio:.1f}×"
        else:
            fl_ratio = f"{ratio:.1f}×"
        L.append(
            f"| {s['records']:,} | {s['files']:,} | {rows:,} ({s['rows']['provenance']:,}) | "
            f"{s['pillars_s']:.2f} s ({s['pillars_runs']} runs) | {s['records'] / s['pillars_s']:,.0f} | "
            f"{s['pillars_rss_mib']:,.0f} MiB | {fl} | {fl_ratio} | "
            f"{s['pandas_s']:.2f} s | {s['pandas_s'] / s['pillars_s']:.1f}× | "
            f"{s['polars_s']:.2f} s | {s['polars_s'] / s['pillars_s']:.1f}× | "
            f"{s['load_before']} → {s['load_after']} |"
        )
    L.append("")
    L.append("Stage times of `pillars build` (median, ms) and the Python tools' steps (one run, s):\n")
    L.append("| records | extract | normalise | validate | reconcile | export | polars read CSV | "
             "polars write Parquet | polars write CSV | pandas read CSV | pandas write Parquet |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in sizes:
        st, pl, pd = s["stages_ms"], s["polars_steps"], s["pandas_steps"]
        L.append(
            f"| {s['records']:,} | {st.get('extract', 0):,.0f} | {st.get('normalise', 0):,.0f} | "
            f"{st.get('validate', 0):,.0f} | {st.get('reconcile', 0):,.0f} | {st.get('export', 0):,.0f} | "
            f"{pl['read_s']:.2f} | {pl['write_parquet_s']:.2f} | {pl['write_csv_s']:.2f} | "
            f"{pd['read_s']:.2f} | {pd['write_parquet_s']:.2f} |"
        )
    L.append("")
    L.append("## The real dataset (raw/)\n")
    L.append(f"Whole process, median of {real['runs']} runs; `validate` runs after appending a line "
             f"to one extraction file each time. Load {real['load_before']} → {real['load_after']}.\n")
    L.append("| command | wall time | peak RSS |")
    L.append("|---|---|---|")
    L.append(f"| `pillars build` | {real['build_s'] * 1e3:.1f} ms | {real['build_rss_mib']:.0f} MiB |")
    L.append(f"| `pillars validate` (after an edit) | {real['validate_s'] * 1e3:.1f} ms | |")
    L.append("")
    L.append("## Targets (2-core machine)\n")
    by = {s["records"]: s for s in sizes}
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    if 1_000_000 in by:
        s = by[1_000_000]
        t, mib = s["pillars_s"], s["pillars_rss_mib"]
        over_t = "" if t <= 5 else f" ({t / 5:.1f}× over)"
        over_m = "" if mib <= 2048 else f" ({mib / 2048:.1f}× over)"
        L.append(f"| 1M records end to end ≤ 5 s | {t:.2f} s | {verdict(t <= 5)}{over_t} |")
        L.append(f"| 1M records peak RSS ≤ 2 GB | {mib:,.0f} MiB | {verdict(mib <= 2048)}{over_m} |")
    for s in sizes:
        ratio = s["frictionless_s"] / s["pillars_s"]
        lower = " (lower bound: frictionless timed out)" if s["frictionless_timeout"] else ""
        L.append(f"| ≥ 20× faster than frictionless validate, {s['records']:,} records | "
                 f"{ratio:.1f}×{lower} | {verdict(ratio >= 20)} |")
    for s in sizes:
        exp_s = s["stages_ms"].get("export", 0) / 1e3
        pl = s["polars_steps"]["write_parquet_s"] + s["polars_steps"]["write_csv_s"]
        L.append(f"| export no slower than polars writing the same tables (CSV + Parquet), "
                 f"{s['records']:,} records | export {exp_s:.2f} s vs polars {pl:.2f} s | {verdict(exp_s <= pl)} |")
    for a, b in zip(sizes, sizes[1:]):
        if b["records"] == 10 * a["records"]:
            r = b["pillars_s"] / a["pillars_s"]
            L.append(f"| 10× records ≤ 11× time, {a['records']:,} → {b['records']:,} | {r:.1f}× | {verdict(r <= 11)} |")
    L.append(f"| real dataset builds in ≤ 100 ms | {real['build_s'] * 1e3:.1f} ms | {verdict(real['build_s'] <= 0.1)} |")
    L.append(f"| `pillars validate` after an edit ≤ 50 ms | {real['validate_s'] * 1e3:.1f} ms | "
             f"{verdict(real['validate_s'] <= 0.05)} |")
    L.append("")
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        L.append(notes.read_text())
    return "\n".join(L).rstrip() + "\n"


def main() -> None:
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: run `cargo build --release` (make does it)")
    SCRATCH.mkdir(parents=True, exist_ok=True)
    if sys.argv[1:] == ["--report"]:
        # Rewrite docs/BENCHMARKS.md from the last run's results (e.g. after editing NOTES.md).
        r = json.loads((SCRATCH / "results.json").read_text())
        (ROOT / "docs" / "BENCHMARKS.md").write_text(report(r["machine"], r["sizes"], r["real"]))
        return
    m = machine()
    print(f"machine: {m['nproc']} × {m['cpu']}, {m['ram_gib']} GiB; load {load()}", flush=True)
    print("real dataset", flush=True)
    real = bench_real()
    sizes = []
    for n in SIZES:
        print(f"{n:,} records (load {load()})", flush=True)
        sizes.append(bench_size(n))
        (SCRATCH / "results.json").write_text(json.dumps({"machine": m, "real": real, "sizes": sizes}, indent=1))
    out = ROOT / "docs" / "BENCHMARKS.md"
    out.write_text(report(m, sizes, real))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
