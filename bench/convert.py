"""Reads every CSV table that `pillars build` produced and writes it as Parquet (zstd), the
hand-rolled route people take instead of the pipeline. Used by bench/run.py.

usage: convert.py pandas|polars OUTPUT_DIR SCRATCH_DIR

Prints one JSON line: seconds spent reading the CSVs, writing Parquet, and (polars only)
writing the same tables back as CSV, plus the row count read.
"""

import json
import sys
import time
from pathlib import Path


def main() -> None:
    tool, out, scratch = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    scratch.mkdir(parents=True, exist_ok=True)
    csvs = sorted((out / "csv").glob("*.csv"))
    t = {"read_s": 0.0, "write_parquet_s": 0.0, "write_csv_s": 0.0, "rows": 0}
    if tool == "pandas":
        import pandas as pd

        for p in csvs:
            t0 = time.perf_counter()
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
            t1 = time.perf_counter()
            df.to_parquet(scratch / f"{p.stem}.parquet", engine="pyarrow", compression="zstd")
            t2 = time.perf_counter()
            t["read_s"] += t1 - t0
            t["write_parquet_s"] += t2 - t1
            t["rows"] += len(df)
    elif tool == "polars":
        import polars as pl

        for p in csvs:
            t0 = time.perf_counter()
            df = pl.read_csv(p, infer_schema_length=0)
            t1 = time.perf_counter()
            df.write_parquet(scratch / f"{p.stem}.parquet", compression="zstd")
            t2 = time.perf_counter()
            df.write_csv(scratch / f"{p.stem}.csv")
            t3 = time.perf_counter()
            t["read_s"] += t1 - t0
            t["write_parquet_s"] += t2 - t1
            t["write_csv_s"] += t3 - t2
            t["rows"] += df.height
    else:
        sys.exit(f"unknown tool {tool!r}: expected pandas or polars")
    print(json.dumps(t))


if __name__ == "__main__":
    main()
