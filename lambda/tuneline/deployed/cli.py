"""`tuneline status` and `tuneline report`: what a deployed stack is doing, and the pages it wrote, on your machine.

Both find the stack through CloudFormation (--stack, default Tuneline) with your AWS credentials, or the
emulator's when AWS_ENDPOINT_URL points at `make emulator`.
Exit codes: 0 done, 1 no such report, 2 usage error (no stack, no credentials).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import webbrowser
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tuneline.deployed.stack import DEFAULT_STACK_NAME, DeployedStack, StackNotFound, find_stack
from tuneline.deployed.status import PER_MODEL_UNIT_HOUR, PER_TOKEN, gather_status
from tuneline.exit_codes import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from tuneline.layout import LEADERBOARD_KEY, LEADERBOARD_PAGE_KEY, REPORTS_PREFIX
from tuneline.pipeline.run_reports import MODEL_CARD_MARKDOWN_NAME, MODEL_CARD_NAME, RUN_RECORD_NAME
from tuneline.reports.html import duration, money, number
from tuneline.reports.leaderboard import REPORT_PAGE_NAME

DEFAULT_OUT = "tuneline-reports"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = subparsers.add_parser(
        "status",
        help="what a deployed stack is doing: runs, queue, recent results, serving, spend",
        description=(
            "Show the runs in progress (with their place in the profile's queue), the latest results from the "
            "leaderboard, live serving with its time to expiry, and this month's estimated training spend per "
            "profile. The stack is found through CloudFormation."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  tuneline status\n  tuneline status --stack Tuneline-dev --format json",
    )
    _stack_option(status)
    status.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    status.set_defaults(handler=run_status)

    report = subparsers.add_parser(
        "report",
        help="download a job's report page and model card (or the leaderboard)",
        description=(
            f"Download reports/JOB/{REPORT_PAGE_NAME} (with the run record and model card when there is one) "
            f"into --out, and print the page's path. --leaderboard downloads the leaderboard as well."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  tuneline report tuneline-support-bot.train.ed4d3b174c36 --open\n"
            "  tuneline report --leaderboard --out ./reports\n\n"
            "exit codes: 0 downloaded, 1 no report for that job, 2 usage error (no stack, no job given)."
        ),
    )
    report.add_argument("job", nargs="?", metavar="JOB", help="job name (as in the alerts and the leaderboard)")
    report.add_argument("--leaderboard", action="store_true", help="download the leaderboard too")
    report.add_argument("--open", action="store_true", help="open the downloaded page in your browser")
    report.add_argument("--out", default=DEFAULT_OUT, help=f"folder to write to (default: ./{DEFAULT_OUT})")
    _stack_option(report)
    report.set_defaults(handler=run_report)


def _stack_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", default=DEFAULT_STACK_NAME, help=f"CloudFormation stack name (default: {DEFAULT_STACK_NAME})"
    )


def _stack(name: str, command: str) -> DeployedStack | None:
    try:
        return find_stack(boto3.client("cloudformation"), name)
    except (StackNotFound, BotoCoreError) as error:
        print(f"tuneline {command}: error: {error}", file=sys.stderr)
        return None


def run_status(args: argparse.Namespace) -> int:
    stack = _stack(args.stack, "status")
    if stack is None:
        return EXIT_USAGE
    status = gather_status(
        stack,
        s3=boto3.client("s3"),
        stepfunctions=boto3.client("stepfunctions"),
        bedrock=boto3.client("bedrock"),
        now=dt.datetime.now(dt.UTC),
    )
    print(json.dumps(status, indent=1) if args.format == "json" else status_text(status))
    return EXIT_OK


def status_text(status: Mapping[str, Any]) -> str:
    lines = [f"Stack {status['stack']}, bucket {status['bucket']}", ""]
    running = status.get("running") or []
    lines.append(f"Running ({len(running)}):" if running else "Running: none")
    for run in running:
        place = f", #{run['placeInLine']} in line for {run['profile']}" if run.get("placeInLine") else ""
        lines.append(f"  {run['execution']}  [{run.get('profile')}]  {run.get('state') or 'starting'}{place}")
    recent = status.get("recent") or []
    lines += ["", "Recent results:" if recent else "Recent results: none yet"]
    for row in recent:
        losses = f"loss {number(row.get('finalTrainingLoss'))}/{number(row.get('finalValidationLoss'))}"
        score = f", {row['evaluationMetric']} {number(row['evaluationScore'])}" if row.get("evaluationScore") else ""
        lines.append(
            f"  {str(row.get('endedAt') or '')[:16]}  {row.get('status'):<9}  {row['jobName']}  "
            f"({losses}{score}, est. {money(row.get('estimatedCostUsd'))})"
        )
    serving = status.get("serving") or []
    lines += ["", "Live serving:" if serving else "Live serving: none"]
    for item in serving:
        left = (
            f"expires in {duration(item['hoursLeft'] * 3600)}"
            if isinstance(item.get("hoursLeft"), int | float) and item["hoursLeft"] > 0
            else ("commitment " + str(item.get("commitment")) if item.get("commitment") else "past its expiry")
        )
        lines.append(f"  {item['kind']} {item.get('status')}  {item['arn']}  ({left}{_cost(item)})")
    spend = status.get("spend") or {}
    lines += ["", "This month's estimated training spend:" if spend else "This month's estimated training spend: none"]
    lines += [f"  {profile}: {money(usd)}" for profile, usd in sorted(spend.items())]
    return "\n".join(lines)


def _cost(item: Mapping[str, Any]) -> str:
    """What live serving costs while it runs: a throughput's model units bill every hour until deleted."""
    if item.get("billing") == PER_TOKEN:
        return "; billed per token, no hourly charge"
    if item.get("billing") == PER_MODEL_UNIT_HOUR:
        units = item.get("modelUnits") or "?"
        return f"; {units} model unit{'s' if units != 1 else ''} billed every hour until deleted, hourly price unknown"
    return ""


def run_report(args: argparse.Namespace) -> int:
    if not args.job and not args.leaderboard:
        print("tuneline report: error: name a JOB, or give --leaderboard", file=sys.stderr)
        return EXIT_USAGE
    stack = _stack(args.stack, "report")
    if stack is None:
        return EXIT_USAGE
    s3 = boto3.client("s3")
    out = Path(args.out)
    opened: Path | None = None
    if args.job:
        prefix = f"{REPORTS_PREFIX}{args.job}/"
        page = _download(s3, stack.bucket, f"{prefix}{REPORT_PAGE_NAME}", out / args.job / REPORT_PAGE_NAME)
        if page is None:
            print(
                f"tuneline report: no report page for {args.job} in s3://{stack.bucket}/{prefix} "
                "(the run has not ended yet, or the name is wrong: see `tuneline status`)",
                file=sys.stderr,
            )
            return EXIT_INVALID
        for name in (RUN_RECORD_NAME, MODEL_CARD_NAME, MODEL_CARD_MARKDOWN_NAME):
            _download(s3, stack.bucket, f"{prefix}{name}", out / args.job / name)
        print(page)
        opened = page
    if args.leaderboard:
        board = _download(s3, stack.bucket, LEADERBOARD_PAGE_KEY, out / Path(LEADERBOARD_PAGE_KEY).name)
        _download(s3, stack.bucket, LEADERBOARD_KEY, out / Path(LEADERBOARD_KEY).name)
        if board is None:
            print(f"tuneline report: no leaderboard yet in s3://{stack.bucket}/{REPORTS_PREFIX}", file=sys.stderr)
            return EXIT_INVALID
        print(board)
        opened = opened or board
    if args.open and opened is not None:
        webbrowser.open(opened.resolve().as_uri())
    return EXIT_OK


def _download(s3: Any, bucket: str, key: str, target: Path) -> Path | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(body)
    partial.replace(target)  # never a half-written page
    return target
