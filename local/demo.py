"""`make demo`: the real Tuneline template, deployed into the local emulator and run end to end.

Synthesizes the CDK app (cdk.json settings) into .demo/cdk.out, starts the emulator as a moto server on
127.0.0.1, deploys the stack, drops an example dataset under incoming/<profile>/ and follows the workflow:
states entered, alerts, reports. Then it drops a broken dataset to show the rejection alert.
Bedrock training is simulated (one simulated hour per real second by default). Everything a person opens
afterwards (report pages, model cards, the leaderboard, the alert texts) is copied to .demo/out/, and the
path of the trained job's report page is printed last.

    python -m local.demo [--profile support-bot] [--speedup 3600]

The emulator stops when the demo ends; `make emulator` (local/serve.py) leaves it running to drive by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from local.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / ".demo"
OUT_DIR = DEMO_DIR / "out"
REPORTS_PREFIX = "reports/"
STACK_OUTPUT_BUCKET = "DataBucketName"
STACK_OUTPUT_WORKFLOW = "CustomizeStateMachineArn"


def synthesize(outdir: Path) -> Path:
    """Synthesizes the app the way `cdk synth` would, with the settings in cdk.json."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    for path in (ROOT, ROOT / "lambda"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import app as tuneline_app

    tuneline_app.build_app(outdir=str(outdir)).synth()
    return outdir


def say(text: str = "") -> None:
    print(text, flush=True)


def show_alerts(alerts: list[dict[str, Any]]) -> None:
    for alert in alerts:
        say(f"  --- {alert.get('subject') or '(no subject)'}")
        for line in str(alert["message"]).splitlines():
            say(f"  | {line}")


BROKEN_EXAMPLE = "broken.jsonl"


def example_dataset(folder: Path) -> Path | None:
    """The dataset of an example folder: train.jsonl, or else its only other JSONL file (examples name their
    data for what it is: corpus.jsonl for continued pre-training, prompts.jsonl for distillation)."""
    preferred = folder / "train.jsonl"
    if preferred.is_file():
        return preferred
    candidates = sorted(path for path in folder.glob("*.jsonl") if path.name != BROKEN_EXAMPLE and path.is_file())
    return candidates[0] if len(candidates) == 1 else None


def save_results(emulator: Emulator, bucket: str, out: Path) -> list[Path]:
    """Copies everything under reports/ and every alert into `out` (emptied first); returns the files written."""
    shutil.rmtree(out, ignore_errors=True)
    s3 = emulator.client("s3")
    written = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=REPORTS_PREFIX):
        for item in page.get("Contents", []):
            target = out / item["Key"][len(REPORTS_PREFIX) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            written.append(target)
    alerts = out / "alerts"
    alerts.mkdir(parents=True, exist_ok=True)
    for number, alert in enumerate(emulator.read_alerts(timeout=0), start=1):
        subject = str(alert.get("subject") or "alert")
        name = re.sub(r"[^A-Za-z0-9]+", "-", subject.removeprefix("Tuneline:")).strip("-").lower()[:60]
        target = alerts / f"{number:02d}-{name}.txt"
        target.write_text(f"Subject: {subject}\n\n{alert['message']}", encoding="utf-8")
        written.append(target)
    return written


def run_dataset(emulator: Emulator, outputs: dict[str, str], key: str, body: bytes, seen: int) -> int:
    """Uploads one dataset, follows its execution; returns how many executions exist afterwards."""
    s3 = emulator.client("s3")
    say(f"\nUploading s3://{outputs[STACK_OUTPUT_BUCKET]}/{key} ({len(body)} bytes)")
    alerts_before = len(emulator.read_alerts(timeout=0))
    s3.put_object(Bucket=outputs[STACK_OUTPUT_BUCKET], Key=key, Body=body)
    started = time.monotonic()
    executions = emulator.wait_for_executions(outputs[STACK_OUTPUT_WORKFLOW], seen + 1, timeout=300)
    newest = max(executions, key=lambda execution: execution["startDate"])
    arn = newest["executionArn"]
    say(f"Execution {newest['name']}: {newest['status']} in {time.monotonic() - started:.1f} s real time")
    say(f"States entered ({emulator.state_transitions(arn)} transitions): {' -> '.join(emulator.states_entered(arn))}")
    if newest.get("error"):
        say(f"Error: {newest['error']}: {str(newest.get('cause'))[:500]}")
    say("Alerts:")
    show_alerts(emulator.read_alerts(expected=alerts_before + 1, timeout=10)[alerts_before:])
    return len(executions)


def trained_report(out: Path, dataset_stem: str) -> Path | None:
    """The report page of the example dataset's job (job names carry the dataset's name)."""
    pages = sorted(out.glob(f"*.{dataset_stem}.*/report.html"))
    return pages[0] if pages else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="support-bot", help="job profile (a folder under examples/)")
    parser.add_argument("--speedup", type=float, default=3600.0, help="simulated seconds per real second")
    args = parser.parse_args(argv)
    examples = ROOT / "examples" / args.profile
    dataset = example_dataset(examples)
    if dataset is None:
        parser.error(f"no example dataset in {examples} (train.jsonl or a single other .jsonl file)")

    # The moto server logs every request, and the interpreter logs each Fail state it enters.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    say("Synthesizing the CDK app into .demo/cdk.out ...")
    cdk_out = synthesize(DEMO_DIR / "cdk.out")
    with Emulator(server=True, speedup=args.speedup) as emulator:
        say(f"Emulator listening on {emulator.endpoint_url} (region {emulator.region})")
        outputs = emulator.deploy(cdk_out, "Tuneline")
        say("Stack outputs:\n" + json.dumps(outputs, indent=2))
        s3 = emulator.client("s3")
        for manifest in sorted(examples.glob("*.job.json")):
            key = f"incoming/{args.profile}/{manifest.name}"
            s3.put_object(Bucket=outputs[STACK_OUTPUT_BUCKET], Key=key, Body=manifest.read_bytes())
            say(f"Uploaded job manifest s3://{outputs[STACK_OUTPUT_BUCKET]}/{key}")
        seen = run_dataset(emulator, outputs, f"incoming/{args.profile}/{dataset.name}", dataset.read_bytes(), 0)
        broken = examples / BROKEN_EXAMPLE
        if broken.exists():
            run_dataset(emulator, outputs, f"incoming/{args.profile}/broken.jsonl", broken.read_bytes(), seen)
        say("\nObjects the pipeline wrote:")
        for item in s3.list_objects_v2(Bucket=outputs[STACK_OUTPUT_BUCKET]).get("Contents", []):
            if not item["Key"].startswith("incoming/"):
                say(f"  s3://{outputs[STACK_OUTPUT_BUCKET]}/{item['Key']}")
        files = save_results(emulator, outputs[STACK_OUTPUT_BUCKET], OUT_DIR)
        say(
            f"\nSaved {len(files)} files to {OUT_DIR.relative_to(ROOT)}/: "
            "report pages, model cards, the leaderboard and the alerts."
        )
        say(f"Leaderboard: {OUT_DIR / 'leaderboard.html'}")
        trained = trained_report(OUT_DIR, dataset.stem)
        say(f"Open the trained job's report page: {trained or OUT_DIR}")
        say("To drive the stack by hand with awscli and tuneline: make emulator (README, Try it by hand).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
