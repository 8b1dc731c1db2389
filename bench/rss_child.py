"""Run the validator once in this process (the benchmark measures this process's peak RSS).

python -m bench.rss_child FILE            validate a file on disk
python -m bench.rss_child --generate N    validate N bytes of records generated on the fly
"""

from __future__ import annotations

import json
import sys
import time

from bench.generate import GeneratedStream
from tuneline.datasets.validator import validate_dataset

MODEL = "amazon.nova-lite-v1:0:300k"


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    if argv[0] == "--generate":
        size = int(argv[1])
        report = validate_dataset(GeneratedStream(size), model_id=MODEL)
    else:
        with open(argv[0], "rb") as stream:
            report = validate_dataset(stream, model_id=MODEL)
    print(json.dumps({"records": report.stats["records"], "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
