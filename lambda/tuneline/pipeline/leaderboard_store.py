"""Put a run's row into `reports/leaderboard.json` (and its page) without losing a row when runs end together.

Read-modify-write with S3 conditional writes: the board is read with its ETag and written back with `If-Match`
(or `If-None-Match: *` when there is none yet). A writer that lost the race gets 412 Precondition Failed (or 409
ConditionalRequestConflict while another write is in flight), reads the new board and merges again. The page is
derived from the board: it carries the board's revision in its metadata and is replaced only by a newer one,
so a slow writer never puts back an older page.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from tuneline.layout import LEADERBOARD_KEY, LEADERBOARD_PAGE_KEY
from tuneline.reports.leaderboard import board_json, merge_row, parse_board, render_leaderboard

logger = logging.getLogger(__name__)

# Enough for a burst of runs ending in the same second; each retry re-reads the board.
MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 0.2
_CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
REVISION_METADATA = "board-revision"


class LeaderboardConflict(Exception):
    """Other runs kept updating the leaderboard for MAX_ATTEMPTS tries in a row."""


def update_leaderboard(
    s3: Any,
    bucket: str,
    row: Mapping[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
    attempts: int = MAX_ATTEMPTS,
) -> dict[str, Any]:
    """Merge `row` into the stored board; returns the board as written."""
    for attempt in range(attempts):
        board, etag = _read_board(s3, bucket)
        merged = merge_row(board, row)
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            s3.put_object(
                Bucket=bucket,
                Key=LEADERBOARD_KEY,
                Body=board_json(merged).encode(),
                ContentType="application/json",
                **condition,
            )
        except ClientError as error:
            if _code(error) not in _CONFLICTS:
                raise
            # Another run wrote first: back off a little (jittered, so racers spread out) and merge again.
            sleep(BACKOFF_SECONDS * (attempt + 1) * random.random())
            continue
        _write_page(s3, bucket, merged)
        return merged
    raise LeaderboardConflict(f"s3://{bucket}/{LEADERBOARD_KEY} changed on each of {attempts} attempts")


def _read_board(s3: Any, bucket: str) -> tuple[dict[str, Any], str | None]:
    try:
        stored = s3.get_object(Bucket=bucket, Key=LEADERBOARD_KEY)
    except ClientError as error:
        if _code(error) in _MISSING:
            return parse_board(None), None
        raise
    return parse_board(stored["Body"].read()), str(stored["ETag"])


def _write_page(s3: Any, bucket: str, board: Mapping[str, Any]) -> None:
    """Replace the page only with a newer board's, with the same conditional-write loop as the board."""
    revision = int(board.get("revision") or 0)
    body = render_leaderboard(board).encode()
    for _ in range(MAX_ATTEMPTS):
        try:
            head = s3.head_object(Bucket=bucket, Key=LEADERBOARD_PAGE_KEY)
        except ClientError as error:
            if _code(error) not in _MISSING:
                raise
            condition: dict[str, str] = {"IfNoneMatch": "*"}
        else:
            if int((head.get("Metadata") or {}).get(REVISION_METADATA, "0") or 0) >= revision:
                return  # a newer board's page is already there
            condition = {"IfMatch": str(head["ETag"])}
        try:
            s3.put_object(
                Bucket=bucket,
                Key=LEADERBOARD_PAGE_KEY,
                Body=body,
                ContentType="text/html; charset=utf-8",
                Metadata={REVISION_METADATA: str(revision)},
                **condition,
            )
            return
        except ClientError as error:
            if _code(error) not in _CONFLICTS:
                raise
    logger.warning("leaderboard page not replaced: other runs kept writing it")


def _code(error: ClientError) -> str:
    response = error.response
    code = str(response.get("Error", {}).get("Code") or "")
    status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "")
    return code if code and not code.isdigit() else status or code
