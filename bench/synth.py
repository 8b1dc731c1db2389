"""`python -m bench.synth` (part of `make bench`): synth time and AWS limits at a platform team's scale.

1. Wall time of a whole synth (a new Python process: the CDK's Node.js start, the asset, cdk-nag) of the
   shipped cdk.json and of 100 generated profiles (tests/infra/many_profiles.py); target: under 30 s for 100
   profiles on a 2-core machine. Best of two runs, so a busy machine distorts it less; the CPU time of the
   processes is printed beside it, as a machine shared with other work stretches wall time.
2. For each AWS limit of tests/infra/test_limits.py, the largest value in either template and its share of
   the limit (the test asserts at most 75%).

Exit code 1 when the time target is missed.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.infra.many_profiles import PLATFORM_TEAM_SIZE, platform_team_context
from tests.infra.test_limits import CLI_CONTEXT, LIMITS

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 30.0
RUNS = 2
SYNTH = """
import json, sys
sys.path.insert(0, "lambda")
import app
context = json.loads(sys.stdin.read())
app.build_app(context=context, outdir=sys.argv[1]).synth()
"""


def timed_synth(context: dict[str, Any], outdir: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the synth's processes)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", SYNTH, str(outdir)],
        input=json.dumps(context),
        text=True,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    import app as tuneline_app

    # Synthesized as the CDK CLI does for a deploy (resource paths and CDKMetadata in the template).
    configurations = {
        "shipped cdk.json": {**tuneline_app.cdk_json_context(), **CLI_CONTEXT},
        f"{PLATFORM_TEAM_SIZE} profiles": {**platform_team_context(), **CLI_CONTEXT},
    }
    templates: dict[str, dict[str, Any]] = {}
    seconds: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as scratch:
        for name, context in configurations.items():
            outdirs = [Path(scratch) / f"{len(templates)}-{run}" for run in range(RUNS)]
            seconds[name] = min(timed_synth(context, outdir) for outdir in outdirs)
            templates[name] = json.loads((outdirs[0] / f"{tuneline_app.STACK_NAME}.template.json").read_text())
            wall, cpu = seconds[name]
            print(f"synth, {name}: {wall:.1f} s wall, {cpu:.1f} s CPU (best of {RUNS})", flush=True)

    print(f"\n{'limit':46} {'maximum':>10}" + "".join(f" {name:>22}" for name in templates))
    for limit in LIMITS:
        cells = []
        for template in templates.values():
            values = limit.measure(template)
            largest = max(values.values(), default=0)
            cells.append(f"{largest:>10,} ({largest / limit.maximum:4.0%})")
        print(f"{limit.name:46} {limit.maximum:>10,}" + "".join(f" {cell:>22}" for cell in cells))

    hundred = seconds[f"{PLATFORM_TEAM_SIZE} profiles"][0]
    verdict = "ok" if hundred < TARGET_SECONDS else "MISSED"
    print(f"\nsynth with {PLATFORM_TEAM_SIZE} profiles: {hundred:.1f} s, target < {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if hundred < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
