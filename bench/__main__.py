"""`make bench`: validation throughput and memory, and the speed of `tuneline evaluate`.

1. Throughput on two generated bedrock-conversation-2024 files, and the ratio of each to a bare
   `for line in f: json.loads(line)` loop over the same file in text mode (target <= 1.5 for both): ~100 MB
   of records of a few KB, and ~30 MB of 20,000 short records (~1.5 KB, one exchange), where the fixed work
   per record weighs more. CPU time of this process is used (not wall time), best of three runs, so other
   load on the machine distorts the ratio as little as possible. The same loop in binary mode is timed too
   and its ratio printed alongside.
2. Peak RSS of a subprocess validating 10 MB (a file) and 1 GB (records generated on the fly, nothing on
   disk) (target < 100 MB each), read from the child's rusage.
3. `tuneline evaluate` on 1,000 records of two models, the whole command, CPU time (target <= 1 s):
   `bench/evaluate.py`.

Generated data lives in bench/.data/ (git-ignored). Exit code 1 when a target is missed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench import evaluate
from bench.generate import write_file
from tuneline.datasets.validator import validate_dataset

DATA = Path(__file__).resolve().parent / ".data"
MB = 1024 * 1024
THROUGHPUT_FILE_BYTES = 100 * MB
SHORT_RECORDS = 20_000
RATIO_TARGET = 1.5
RSS_TARGET_MB = 100.0
RUNS = 3


def ensure_file(name: str, size: int) -> Path:
    path = DATA / name
    if not path.exists() or abs(path.stat().st_size - size) > MB:
        print(f"generating {path} ({size // MB} MB) ...", flush=True)
        write_file(path, size)
    return path


def count_lines(path: Path) -> int:
    """Newlines in a file, read a block at a time: reading it whole would grow this process, and the children
    whose peak RSS is measured are forked from it."""
    with path.open("rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(MB), b""))


def ensure_short_record_file(name: str, records: int) -> Path:
    path = DATA / name
    if not path.exists() or count_lines(path) != records:
        print(f"generating {path} ({records} short records) ...", flush=True)
        write_file(path, 0, short=True, records=records)
    return path


def best_cpu_seconds(work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def bare_loop(path: Path, mode: str) -> Callable[[], None]:
    def run() -> None:
        with open(path, mode) as f:
            for line in f:
                json.loads(line)

    return run


def validate(path: Path) -> Callable[[], object]:
    def run() -> object:
        with open(path, "rb") as f:
            return validate_dataset(f, model_id="amazon.nova-lite-v1:0:300k")

    return run


def child_peak_rss_mb(args: list[str]) -> tuple[float, dict[str, object]]:
    """Peak RSS of one child process, from its own rusage (os.wait4), and what it printed."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: replace this process with the validator run
        os.close(read_end)
        os.dup2(write_end, 1)
        os.execv(sys.executable, [sys.executable, "-m", "bench.rss_child", *args])
    os.close(write_end)
    with os.fdopen(read_end) as output:
        printed = output.read()
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"validator child failed for {args}")
    # ru_maxrss is in kilobytes on Linux.
    return usage.ru_maxrss / 1024, json.loads(printed)


def throughput(path: Path, label: str) -> dict[str, object]:
    size_mb = path.stat().st_size / MB
    records = count_lines(path)
    print(f"{label}: {path.name}, {size_mb:.1f} MB, {records} records ({size_mb * MB / records / 1024:.1f} KB each)")
    binary = best_cpu_seconds(bare_loop(path, "rb"))
    text = best_cpu_seconds(bare_loop(path, "r"))
    validation = best_cpu_seconds(validate(path))
    ratio = validation / text
    print(f"  bare json.loads loop: {binary:.3f} s (binary), {text:.3f} s (text)  [process CPU time]")
    print(f"  validate_dataset:     {validation:.3f} s = {size_mb / validation:.1f} MB/s")
    print(
        f"  ratio to the text-mode loop: {ratio:.2f} (target <= {RATIO_TARGET}); "
        f"to the binary-mode loop: {validation / binary:.2f}"
    )
    return {
        "file_mb": round(size_mb, 1),
        "records": records,
        "bare_loop_binary_s": round(binary, 3),
        "bare_loop_text_s": round(text, 3),
        "validate_s": round(validation, 3),
        "validate_mb_per_s": round(size_mb / validation, 1),
        "ratio": round(ratio, 2),
        "ratio_vs_binary_loop": round(validation / binary, 2),
    }


def main() -> int:
    large = throughput(ensure_file("converse-100mb.jsonl", THROUGHPUT_FILE_BYTES), "throughput file")
    short = throughput(ensure_short_record_file("converse-short-records.jsonl", SHORT_RECORDS), "short records")
    results: dict[str, object] = {**large, "short_records": short}

    small = ensure_file("converse-10mb.jsonl", 10 * MB)
    rss_small, _ = child_peak_rss_mb([str(small)])
    rss_short, _ = child_peak_rss_mb([str(DATA / "converse-short-records.jsonl")])
    rss_large, info = child_peak_rss_mb(["--generate", str(1024 * MB)])
    results.update(
        {
            "peak_rss_10mb_mb": round(rss_small, 1),
            "peak_rss_short_records_mb": round(rss_short, 1),
            "peak_rss_1gb_mb": round(rss_large, 1),
            "1gb_records": info["records"],
            "1gb_seconds": round(float(str(info["seconds"])), 1),
        }
    )
    print(
        f"peak RSS: {rss_small:.1f} MB at 10 MB, {rss_short:.1f} MB for the short records, {rss_large:.1f} MB at "
        f"1 GB (target < {RSS_TARGET_MB:.0f} MB)"
    )
    print(f"1 GB: {info['records']} records validated in {float(str(info['seconds'])):.1f} s")
    evaluation = evaluate.run()
    results.update(evaluation)

    missed = [
        name
        for name, ok in (
            ("ratio", float(str(large["ratio"])) <= RATIO_TARGET),
            ("ratio short records", float(str(short["ratio"])) <= RATIO_TARGET),
            ("rss 10 MB", rss_small < RSS_TARGET_MB),
            ("rss short records", rss_short < RSS_TARGET_MB),
            ("rss 1 GB", rss_large < RSS_TARGET_MB),
            ("evaluate 1,000 records x 2 models", evaluate.met(evaluation)),
        )
        if not ok
    ]
    results["missed_targets"] = missed
    (DATA / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
