"""Benchmark: Apple Health export.xml -> apple_hr_samples vs ElementTree's iterparse.

Simulates one person's export (unzipped) with an export.xml of at least --min-mb, then times
(a) `xml.etree.ElementTree.iterparse` with `elem.clear()` extracting top-level heart-rate records
to a polars frame and (b) pulselake's streaming pass from export.xml to the parquet table, each
in a fresh process so its peak RSS is its own, best of --repeat runs (the load average is
reported: above the core count, every figure is low); (b) runs again on an export.xml with the body
twice over, to show memory does not grow with file size. Both must find the same rows and sum.
Targets (2 cores): (b) >= 250 MB/s and >= 4x (a), peak RSS <= 1.5 GB and flat at 2x.
"""

import argparse
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchlib import MB, fastest_child, load_average, peak_rss_mb, run_child

TARGET_MB_S, TARGET_RATIO, TARGET_RSS_MB, RSS_GROWTH_TOLERANCE = 250.0, 4.0, 1500.0, 1.15
HR_TYPE = "HKQuantityTypeIdentifierHeartRate"
END = date(2025, 12, 31)


def generate(out: Path, min_mb: float, seed: int) -> Path:
    """A single-user export whose history is long enough for export.xml to reach `min_mb`."""
    from simulator import write_apple_exports

    def write(days: int):
        shutil.rmtree(out, ignore_errors=True)
        (summary,) = write_apple_exports(
            out,
            users=1,
            seed=seed,
            start=END - timedelta(days=days),
            end=END,
            background_scale=1.0,
            zipped=False,
        )
        return summary

    probe_days = 30
    probe = write(probe_days)
    days = int(probe_days * min_mb * MB / probe.export_xml_bytes * 1.1) + 1
    return write(days).export_path


def doubled(export: Path, folder: Path) -> Path:
    """The same export with every body line of export.xml written twice (routes not needed)."""
    target = folder / "apple_health_export"
    target.mkdir(parents=True)
    text = (export / "export.xml").read_bytes()
    body_start = text.index(b"\n", text.index(b"<HealthData")) + 1
    body_end = text.rindex(b"</HealthData>")
    with open(target / "export.xml", "wb") as out:
        out.write(text[:body_start])
        out.write(text[body_start:body_end])
        out.write(text[body_start:body_end])
        out.write(text[body_end:])
    return target


def child_etree(export: str) -> dict:
    """(a): the usual way (end events, exact type, every element cleared once read).

    It would also count Records nested in a <Correlation>; the simulated Correlations hold only
    blood pressure, so the row counts must still agree with (b), which skips nested Records."""
    import xml.etree.ElementTree as ET

    import polars as pl

    path = Path(export) / "export.xml"
    start, rows = time.perf_counter(), {"start": [], "value": []}
    for _, elem in ET.iterparse(path):
        if elem.tag == "Record" and elem.get("type") == HR_TYPE:
            rows["start"].append(elem.get("startDate"))
            rows["value"].append(float(elem.get("value")))
        elem.clear()
    frame = pl.DataFrame(rows)
    seconds = time.perf_counter() - start
    return _result(path, seconds, frame.height, frame["value"].sum())


def child_pulselake(export: str) -> dict:
    """(b): the ingestion pass, streamed to parquet."""
    import polars as pl

    from assets.lake.io_manager import write_frame
    from assets.sources.apple_health.export import AppleExport
    from assets.sources.apple_health.export_pass import ApplePass

    out = Path(tempfile.mkdtemp(prefix="bench-apple-out-")) / "apple_hr_samples.parquet"
    start = time.perf_counter()
    write_frame(ApplePass([AppleExport(Path(export), "bench")]).hr_samples, str(out))
    seconds = time.perf_counter() - start
    totals = pl.scan_parquet(out).select(pl.len(), pl.col("value").sum()).collect().row(0)
    shutil.rmtree(out.parent)
    return _result(Path(export) / "export.xml", seconds, *totals)


def _result(path: Path, seconds: float, rows: int, value_sum: float) -> dict:
    size = path.stat().st_size
    return {
        "mb_s": size / MB / seconds,
        "seconds": seconds,
        "rows": rows,
        "value_sum": value_sum,
        "peak_rss_mb": peak_rss_mb(),
    }


CHILDREN = {"etree": child_etree, "pulselake": child_pulselake}


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-mb", type=float, default=500.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="(a) and (b): best of N runs")
    parser.add_argument("--child", nargs=2, metavar=("WHICH", "EXPORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](args.child[1])))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-apple-"))
    try:
        start = time.perf_counter()
        export = generate(work / "exports", args.min_mb, args.seed)
        size_mb = (export / "export.xml").stat().st_size / MB
        print(f"generated export.xml of {size_mb:.0f} MB in {time.perf_counter() - start:.0f} s")
        load = load_average()
        etree = fastest_child(__file__, args.repeat, "etree", str(export))
        print(f"(a) ElementTree iterparse + clear: {etree['mb_s']:.1f} MB/s, {etree['rows']} rows")
        ours = fastest_child(__file__, args.repeat, "pulselake", str(export))
        print(
            f"(b) pulselake to parquet: {ours['mb_s']:.1f} MB/s ({ours['seconds']:.1f} s, "
            f"{ours['rows']} rows), peak RSS {ours['peak_rss_mb']:.0f} MB"
        )
        twice = run_child(__file__, "pulselake", str(doubled(export, work / "x2")))
        print(
            f"(b) on the 2x export.xml: {twice['mb_s']:.1f} MB/s, "
            f"peak RSS {twice['peak_rss_mb']:.0f} MB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratio = ours["mb_s"] / etree["mb_s"]
    same = ours["rows"] == etree["rows"] and abs(ours["value_sum"] - etree["value_sum"]) < 1e-6 * (
        1 + abs(etree["value_sum"])
    )
    met = (
        same
        and ours["mb_s"] >= TARGET_MB_S
        and ratio >= TARGET_RATIO
        and max(ours["peak_rss_mb"], twice["peak_rss_mb"]) <= TARGET_RSS_MB
        and twice["peak_rss_mb"] <= ours["peak_rss_mb"] * RSS_GROWTH_TOLERANCE
    )
    print(
        f"BENCH ingest_apple xml_mb={size_mb:.0f} etree_mb_s={etree['mb_s']:.1f} "
        f"ingest_mb_s={ours['mb_s']:.1f} ratio={ratio:.1f} rows={ours['rows']} "
        f"same_rows_and_sum={str(same).lower()} peak_rss_mb={ours['peak_rss_mb']:.0f} "
        f"peak_rss_2x_mb={twice['peak_rss_mb']:.0f} load_avg={max(load, load_average()):.1f} "
        f"target_met={str(met).lower()}"
    )


if __name__ == "__main__":
    main()
