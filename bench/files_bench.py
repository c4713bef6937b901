"""Files benchmark: what an export's files cost an import, and that a newer export copies none of them again.

    python bench/files_bench.py [N] [--files SIZE] [--layout 2026] [--repeat R] [--series SIZES] [--tmp DIR]

For N conversations (default 2,000) it writes, into a temporary folder it removes at the end, the same rich
export (uploads, generated images, charts, canvases: ``synth_export --rich``) twice: its attachments named but
not carried, and with SIZE of files (default 2G, streamed: see ``synth_export``); and the next month's export
with the same files (a few conversations continued, half of them ones with files). Then, ``--repeat`` times
(medians printed), in a fresh child process each (``bench/_import_child.py``, as ``bench/run.py`` measures):
both imports into fresh data folders (seconds, peak RSS, files kept, bytes copied), the same export again,
and the next month's into the store that has the files, with what it placed in ``files/`` measured on disk
(every blob's size, mtime and inode before and after). The reference in the same run is the disk itself:
the same entries copied out of the ZIP with an fsync each, no hashing. Every timed step starts after an
``os.sync()``, so none pays for flushing what the one before wrote.

``--series 500M,2G,5G``: how peak memory grows with the files' size instead, one export per size (written,
imported, removed before the next; a size the disk has no room for is skipped).

Numbers are a shared 2-core machine's: the file part is bound by the disk, which other processes use too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatgpt_history_mcp.results import size_text
from chatgpt_history_mcp.settings import parse_size

if __package__:
    from .run import OUT, _continue, _source_stamp, changed_counts, import_in_child
    from .synth_export import rich_plan, write_export
else:  # run as a script
    from run import OUT, _continue, _source_stamp, changed_counts, import_in_child  # type: ignore[no-redef]
    from synth_export import rich_plan, write_export  # type: ignore[no-redef]

MB = 1e6
Json = dict[str, Any]
#: Room kept free on the disk beyond what a run writes.
SPARE_BYTES = 2 * 1024**3


# --- exports ---------------------------------------------------------------------------------


def next_month_edit(n: int, seed: int) -> tuple[Callable[[int, Json], None], int, int]:
    """The change from an export to the next month's: ``changed_counts(n)[0]`` conversations continued, half of
    them (when there are that many) ones whose files the export carries. Returns the edit, how many it
    continues and how many of those have files."""
    plans = [rich_plan(i, n, seed) for i in range(n)]
    with_files = [i for i, p in enumerate(plans) if p and p.files]
    others = [i for i, p in enumerate(plans) if not (p and p.files)]
    count = changed_counts(n)[0]
    rng = random.Random(f"next-month:{seed}")
    picked_files = rng.sample(with_files, min(len(with_files), max(count // 2, 1)))
    modified = set(picked_files) | set(rng.sample(others, min(len(others), count - len(picked_files))))

    def edit(i: int, conv: Json) -> None:
        if i in modified:
            _continue(conv, rng)

    return edit, len(modified), len(picked_files)


def _write(path: Path, n: int, seed: int, files: int | None, layout: str, **kw: Any) -> Json:
    t = time.perf_counter()
    stats = write_export(str(path), n, seed, rich=True, files_bytes=files, layout=layout, **kw)
    return {**stats, "seconds": time.perf_counter() - t, "zip_bytes": path.stat().st_size}


def _room(folder: Path, needed: int) -> bool:
    return shutil.disk_usage(folder).free >= needed + SPARE_BYTES


# --- measures --------------------------------------------------------------------------------


def blobs_on_disk(data_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Each kept file (``files/??/<sha256>``) with its size, mtime and inode: a copy changes one of them."""
    out = {}
    for p in (data_dir / "files").glob("??/*"):
        st = p.stat()
        out[p.name] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return out


def copied(before: dict[str, tuple[int, int, int]], after: dict[str, tuple[int, int, int]]) -> Json:
    """What appeared in ``files/`` or was written again between two :func:`blobs_on_disk`."""
    changed = [name for name, seen in after.items() if before.get(name) != seen]
    return {
        "count": len(changed),
        "bytes": sum(after[name][0] for name in changed),
        "removed": len(before) - len(after),
    }


def _staging_left(data_dir: Path) -> int:
    staging = data_dir / "files" / ".staging"
    return sum(1 for _ in staging.iterdir()) if staging.is_dir() else 0


def settle() -> None:
    """Flush what earlier steps wrote (the exports, a store just removed): on ext4 the next step's first fsync
    would otherwise wait for gigabytes that are not its own (a 9 MB import measured 15 s after the exports)."""
    os.sync()


def import_once(data_dir: Path, export: Path) -> Json:
    """One import in a fresh process (``run.import_in_child``), with what it placed in ``files/``."""
    settle()
    before = blobs_on_disk(data_dir)
    result = import_in_child(data_dir, export)
    after = blobs_on_disk(data_dir)
    result["copied"] = copied(before, after)
    result["blobs"] = {"count": len(after), "bytes": sum(v[0] for v in after.values())}
    result["staging_left"] = _staging_left(data_dir)
    return result


def disk_copy(export: Path, work: Path) -> Json:
    """The reference: every file entry of ``export`` streamed to its own file with an fsync (what copying the
    files costs on this disk, without hashing, sniffing, text or the archive)."""
    work.mkdir()
    settle()
    t = time.perf_counter()
    total = 0
    with zipfile.ZipFile(export) as zf:
        for number, info in enumerate(i for i in zf.infolist() if not i.filename.endswith((".json", ".html"))):
            with zf.open(info) as src, (work / str(number)).open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            total += info.file_size
    seconds = time.perf_counter() - t
    shutil.rmtree(work)
    return {"seconds": seconds, "bytes": total}


def pressure() -> dict[str, float]:
    """The share of the last 5 minutes some task waited for a CPU or for the disk (Linux PSI, ``some avg300``):
    how much other processes' load was in this run's numbers. Empty where the kernel does not say."""
    out = {}
    for resource in ("cpu", "io"):
        try:
            line = Path(f"/proc/pressure/{resource}").read_text().splitlines()[0]
        except (OSError, IndexError):
            continue
        out[resource] = float(dict(f.split("=") for f in line.split()[1:])["avg300"])
    return out


def _noise(r: Json) -> str:
    found = r.get("pressure") or {}
    if not found:
        return ""
    return "; waiting over the last 5 min: " + ", ".join(f"{k} {v:.0f} %" for k, v in found.items())


def _median(runs: list[Json], *keys: str) -> float:
    values = []
    for run in runs:
        value: Any = run
        for key in keys:
            value = value[key]
        values.append(value)
    return float(statistics.median(values))


# --- the main run ----------------------------------------------------------------------------


def run(n: int, seed: int, size: int, layout: str, repeat: int, work: Path) -> Json:
    if not _room(work, 3 * size):  # two exports with the files, and a store of them
        raise SystemExit(f"{work}: not enough free disk for {size_text(3 * size)}; try --tmp or a smaller --files")
    stamp = _source_stamp()
    plain, with_files, next_month = work / "plain.zip", work / "files.zip", work / "next-month.zip"
    edit, continued, continued_with_files = next_month_edit(n, seed)
    print("writing exports …", file=sys.stderr, flush=True)
    generation = {
        "plain": _write(plain, n, seed, None, layout),
        "files": _write(with_files, n, seed, size, layout),
        "next_month": _write(next_month, n, seed, size, layout, edit=edit),
    }
    runs: list[Json] = []
    for k in range(repeat):
        print(f"run {k + 1}/{repeat} …", file=sys.stderr, flush=True)
        a, b = work / "store-plain", work / "store-files"
        one: Json = {"plain": import_once(a, plain)}
        shutil.rmtree(a)
        one["files"] = import_once(b, with_files)
        one["same_again"] = import_once(b, with_files)
        one["next_month"] = import_once(b, next_month)
        shutil.rmtree(b)
        one["disk_copy"] = disk_copy(with_files, work / "copy")
        runs.append(one)
    if _source_stamp() != stamp:
        raise SystemExit("the product's sources changed during the run; its numbers mix two versions: run it again")
    return {
        "n": n,
        "seed": seed,
        "layout": layout,
        "files_size": size,
        "repeat": repeat,
        "cpus": os.cpu_count(),
        "generation": generation,
        "continued": continued,
        "continued_with_files": continued_with_files,
        "runs": runs,
        "pressure": pressure(),
    }


def print_report(r: Json) -> None:
    runs, gen = r["runs"], r["generation"]
    last = runs[-1]
    fr, nr = last["files"]["report"], last["next_month"]["report"]
    print(
        f"\nfiles benchmark: N={r['n']:,} conversations (--rich), {r['layout']} layout, seed {r['seed']}, "
        f"median of {r['repeat']} runs ({r['cpus']} CPUs, shared{_noise(r)})"
    )
    print(
        f"exports: without files {gen['plain']['zip_bytes'] / MB:,.0f} MB zip; with files "
        f"{gen['files']['zip_bytes'] / MB:,.0f} MB zip ({gen['files']['files']:.0f} files, "
        f"{gen['files']['file_bytes'] / MB:,.0f} MB); written in {gen['plain']['seconds']:.1f} s / "
        f"{gen['files']['seconds']:.1f} s; read back from the page cache"
    )
    med = {key: _median(runs, key, "import_s") for key in ("plain", "files", "same_again", "next_month")}
    part = med["files"] - med["plain"]
    kept = last["files"]["blobs"]["bytes"]
    print("\n-- import into a fresh data folder (child process; seconds inside import_export) --")
    print(f"{'':<24}{'seconds':>9}{'peak RSS self':>15}{'+ 2 x child':>13}{'files kept':>12}{'copied':>11}")
    for key, label in (("plain", "without files"), ("files", "with files")):
        print(
            f"{label:<24}{med[key]:>9.2f}{_median(runs, key, 'rss_self_bytes') / MB:>12.0f} MB"
            f"{_median(runs, key, 'rss_total_bound_bytes') / MB:>10.0f} MB"
            f"{runs[-1][key]['report']['files_added']:>12,}"
            f"{_median(runs, key, 'copied', 'bytes') / MB:>8,.0f} MB"
        )
    ref = _median(runs, "disk_copy", "seconds")
    print(
        f"with / without files    {med['files'] / med['plain']:.2f}x; the file part {part:.2f} s = "
        f"{kept / MB / part:,.0f} MB/s for {kept / MB:,.0f} MB kept ({last['files']['blobs']['count']} blobs, "
        f"{fr['files_missing']} named files not in the export)"
    )
    print(
        f"reference: the same entries copied out of the ZIP with an fsync each {ref:.2f} s "
        f"({kept / MB / ref:,.0f} MB/s); file part / copy {part / ref:.2f}x"
    )
    print("\n-- re-imports into the store that has the files --")
    for key, label in (("same_again", "same export again"), ("next_month", "next month's export")):
        rep = runs[-1][key]["report"]
        print(
            f"{label:<24}{med[key]:>9.2f} s  outcome {rep['outcome']}, {rep['updated']} updated; placed in files/: "
            f"{max(o[key]['copied']['count'] for o in runs)} blobs, {max(o[key]['copied']['bytes'] for o in runs)} "
            f"bytes (on disk, worst run); report files_bytes {max(o[key]['report']['files_bytes'] for o in runs)}; "
            f"peak RSS {_median(runs, key, 'rss_self_bytes') / MB:.0f} MB"
        )
    print(
        f"  next month: {r['continued']} conversations continued ({r['continued_with_files']} with files), "
        f"expected {r['continued']} updated; {nr['files_added']} files kept anew; staging left "
        f"{max(o[k]['staging_left'] for o in runs for k in ('files', 'same_again', 'next_month'))}"
    )
    each = {key: [round(o[key]["import_s"], 2) for o in runs] for key in ("plain", "files")}
    copies = [round(o["disk_copy"]["seconds"], 2) for o in runs]
    print(f"\nseconds per run: import without {each['plain']}, with {each['files']}; copy {copies}")


# --- the memory series -----------------------------------------------------------------------


def series(n: int, seed: int, sizes: list[int], layout: str, repeat: int, work: Path) -> Json:
    """Peak memory and time of an import by the size of its files, one export on disk at a time."""
    stamp = _source_stamp()
    rows: list[Json] = []
    for size in [0, *sizes]:
        export, store = work / "export.zip", work / "store"
        if not _room(work, 2 * size):
            print(f"{size_text(size)}: skipped, not enough free disk", file=sys.stderr)
            rows.append({"files_size": size, "skipped": True})
            continue
        print(f"files {size_text(size)} …", file=sys.stderr, flush=True)
        _write(export, n, seed, size or None, layout)
        runs = []
        for _ in range(repeat):
            runs.append(import_once(store, export))
            shutil.rmtree(store)
        export.unlink()
        rows.append(
            {
                "files_size": size,
                "import_s": _median(runs, "import_s"),
                "rss_self_bytes": _median(runs, "rss_self_bytes"),
                "rss_total_bound_bytes": _median(runs, "rss_total_bound_bytes"),
                "files_added": runs[-1]["report"]["files_added"],
                "kept_bytes": runs[-1]["blobs"]["bytes"],
                "runs": runs,
            }
        )
    if _source_stamp() != stamp:
        raise SystemExit("the product's sources changed during the run; its numbers mix two versions: run it again")
    return {"n": n, "seed": seed, "layout": layout, "repeat": repeat, "rows": rows, "pressure": pressure()}


def print_series(r: Json) -> None:
    print(
        f"\nfiles benchmark, memory by files' size: N={r['n']:,} conversations (--rich), {r['layout']} layout, "
        f"median of {r['repeat']} import(s) each, fresh data folder and child process{_noise(r)}"
    )
    print(f"{'files':>8}{'kept':>8}{'MB kept':>9}{'import s':>10}{'file part MB/s':>16}{'peak RSS self':>15}", end="")
    print(f"{'+ 2 x child':>13}")
    base = r["rows"][0]
    for row in r["rows"]:
        label = f"{row['files_size'] / 1024**3:.1f}G" if row["files_size"] else "none"
        if row.get("skipped"):
            print(f"{label:>8}  skipped (disk)")
            continue
        part = row["import_s"] - base["import_s"]
        rate = f"{row['kept_bytes'] / MB / part:,.0f}" if row["files_size"] and part > 0 else "-"
        print(
            f"{label:>8}{row['files_added']:>8,}{row['kept_bytes'] / MB:>9,.0f}{row['import_s']:>10.2f}{rate:>16}"
            f"{row['rss_self_bytes'] / MB:>12.0f} MB{row['rss_total_bound_bytes'] / MB:>10.0f} MB"
        )
    print("(peak RSS self: the importing process's VmHWM; + 2 x child: with the two index workers, as bench/run.py)")


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=2000, help="number of conversations (default 2,000)")
    ap.add_argument("--files", type=parse_size, default=2 * 1024**3, metavar="SIZE", help="files in the export (2G)")
    ap.add_argument("--layout", choices=("2025", "2026"), default="2025")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, help="runs, medians printed (default 3; 1 with --series)")
    ap.add_argument("--series", metavar="SIZES", help="memory by files' size instead: 500M,2G,5G")
    ap.add_argument("--tmp", type=Path, help="where the exports and stores go (default: the system's temp folder)")
    args = ap.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    suffix = "" if args.layout == "2025" else "-2026"
    with tempfile.TemporaryDirectory(prefix="chatgpt-history-files-", dir=args.tmp) as tmp:
        if args.series:
            sizes = [parse_size(s) for s in args.series.split(",")]
            results = series(args.n, args.seed, sizes, args.layout, args.repeat or 1, Path(tmp))
            out = OUT / f"files-series-{args.n}{suffix}.json"
            out.write_text(json.dumps(results, indent=2))
            print_series(results)
        else:
            results = run(args.n, args.seed, args.files, args.layout, args.repeat or 3, Path(tmp))
            out = OUT / f"files-{args.n}{suffix}.json"
            out.write_text(json.dumps(results, indent=2))
            print_report(results)
    print(f"\nfull numbers: {out}")


if __name__ == "__main__":
    main()
