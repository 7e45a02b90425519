#!/usr/bin/env python3
"""Refresh the ECB reference-rate snapshot (standard library only).

Usage: refresh.py SOURCE ORIGIN
  SOURCE  eurofxref-hist.zip or eurofxref-hist.csv as the ECB publishes it
  ORIGIN  one line saying where SOURCE came from (recorded in snapshot.json)

Keeps the Date column and the currencies of schema/vocabularies.json `currencies` that the
ECB publishes (EUR is the base; RSD is not published), every day and every year, values
unaltered; writes eurofxref-hist.csv and snapshot.json (date taken, SHA-256 of both files)
beside this script, only when the rates changed. `pillars build` fails when the CSV's hash and snapshot.json disagree.
"""
import csv, datetime, hashlib, io, json, pathlib, sys, zipfile

HERE = pathlib.Path(__file__).resolve().parent
VOCAB = HERE.parent.parent / "vocabularies.json"


def main(source: str, origin: str) -> None:
    raw = pathlib.Path(source).read_bytes()
    if source.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            text = z.read("eurofxref-hist.csv").decode("utf-8")
    else:
        text = raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    wanted = [c for c in json.loads(VOCAB.read_text())["currencies"]["values"] if c in header]
    cols = [header.index("Date")] + [header.index(c) for c in wanted]
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Date"] + wanted)
    body = sorted((r for r in rows[1:] if r and r[0].strip()), key=lambda r: r[0])
    for r in body:
        w.writerow([r[i].strip() for i in cols])
    data = out.getvalue().encode("utf-8")
    target = HERE / "eurofxref-hist.csv"
    if target.exists() and target.read_bytes() == data:
        print("snapshot unchanged; metadata kept")
        return
    target.write_bytes(data)
    meta_path = HERE / "snapshot.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    meta.update({
        "origin": origin,
        "date_taken": datetime.date.today().isoformat(),
        "origin_file": pathlib.Path(source).name,
        "origin_sha256": hashlib.sha256(raw).hexdigest(),
        "file": "eurofxref-hist.csv",
        "sha256": hashlib.sha256(data).hexdigest(),
        "currencies": wanted,
        "first_day": body[0][0],
        "last_day": body[-1][0],
    })
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
