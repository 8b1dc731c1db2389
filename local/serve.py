"""`make emulator`: the real Tuneline template deployed into the emulator, left running for you to drive by hand.

Synthesizes the app (cdk.json settings), starts the emulator on 127.0.0.1:PORT (4566 unless --port or
EMULATOR_PORT says otherwise), deploys the stack, prints the environment to paste into another shell and the
data bucket, then prints every alert the stack publishes as it comes (the emulator's stand-in for the
alert topic's e-mail subscriptions). Ctrl-C stops it; nothing is kept.

    python -m local.serve [--port 4566] [--speedup 3600]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from local.demo import DEMO_DIR, STACK_OUTPUT_BUCKET, say, show_alerts, synthesize
from local.emulator import Emulator

DEFAULT_PORT = 4566
STACK_NAME = "Tuneline"
# The emulator accepts any credentials; these are the ones the printed lines use.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
POLL_SECONDS = 0.5


def export_lines(endpoint_url: str, region: str) -> list[str]:
    values = {"AWS_ENDPOINT_URL": endpoint_url, **CREDENTIALS, "AWS_DEFAULT_REGION": region}
    return [f"export {name}={value}" for name, value in values.items()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.serve", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("EMULATOR_PORT") or DEFAULT_PORT), help="default: 4566"
    )
    parser.add_argument("--speedup", type=float, default=3600.0, help="simulated seconds per real second")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    say("Synthesizing the CDK app into .demo/cdk.out ...")
    cdk_out = synthesize(DEMO_DIR / "cdk.out")
    if not port_is_free(args.port):
        say(f"127.0.0.1:{args.port} is in use. Choose another port: make emulator EMULATOR_PORT=4577")
        return 2
    with Emulator(server=True, speedup=args.speedup, port=args.port) as emulator:
        return serve(emulator, cdk_out)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def serve(emulator: Emulator, cdk_out: Path) -> int:
    try:
        outputs = emulator.deploy(cdk_out, STACK_NAME)
        assert emulator.endpoint_url is not None
        say(f"\nTuneline is deployed in the emulator on {emulator.endpoint_url} (stack {STACK_NAME}).")
        say("Stack outputs:\n" + json.dumps(outputs, indent=2))
        say("\nIn another shell, paste:\n")
        for line in export_lines(emulator.endpoint_url, emulator.region):
            say(f"  {line}")
        say(f"  export BUCKET={outputs[STACK_OUTPUT_BUCKET]}")
        say(
            "\nthen, for example:\n"
            "  aws s3 cp examples/support-bot/train.jsonl s3://$BUCKET/incoming/support-bot/train.jsonl\n"
            "  tuneline status\n"
            "  tuneline report --leaderboard --out ./reports\n"
            "\nAlerts appear below as the stack publishes them. Ctrl-C stops the emulator.\n"
        )
        shown = 0
        while True:
            alerts = emulator.read_alerts(timeout=0)
            show_alerts(alerts[shown:])
            shown = len(alerts)
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        say("Stopping.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
