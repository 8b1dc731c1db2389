"""Stage the images and videos a multimodal dataset names, beside the staged dataset.

The job's service role reads only `staged/`, and a job must train on what was validated even if the originals
change later. So each media object the records name is copied (server-side) to `staged/<job>/media/<key>`,
and the staged dataset's URIs are rewritten to those copies. An object that cannot be copied is a finding on
the first line that names it, and the dataset is rejected before anything starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tuneline.aws_values import split_s3_uri
from tuneline.datasets.media import media_in_lines
from tuneline.findings import Finding
from tuneline.layout import STAGED_MEDIA_FOLDER
from tuneline.pipeline.s3_streams import ObjectVersion

# Copies run in parallel: each is one small server-side request, so the time is all round trips.
COPY_WORKERS = 16
# A report lists this many missing objects by line, then says how many more there are.
MAX_LISTED_MISSING = 20


@dataclass
class MediaPlan:
    """Source object -> staged copy, and where each source was first named (file, line)."""

    staged_prefix: str
    copies: dict[tuple[str, str], str] = field(default_factory=dict)
    first_named: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def add(self, uri: str, file: str, line: int) -> None:
        # Only a dataset the validator passed gets here, so every media URI is a well-formed s3:// URI.
        source = split_s3_uri(uri)
        if source not in self.copies:
            self.copies[source] = f"{self.staged_prefix}{STAGED_MEDIA_FOLDER}{source[1]}"
            self.first_named[source] = (file, line)

    def staged_uri(self, bucket: str) -> Callable[[str], str]:
        """URI rewriter for the staged dataset: each known source -> its copy in `bucket`."""

        def rewrite(uri: str) -> str:
            copy = self.copies.get(split_s3_uri(uri))
            return f"s3://{bucket}/{copy}" if copy else uri

        return rewrite


def plan_media(staged_prefix: str, files: Iterable[tuple[str, ObjectVersion]], *, normalize: bool) -> MediaPlan:
    """Read the dataset files once more and note every media object they name."""
    plan = MediaPlan(staged_prefix=staged_prefix)
    for name, source in files:
        for line, uris in media_in_lines(source.open(normalize=normalize)):
            for uri in uris:
                plan.add(uri, name, line)
    return plan


def copy_media(plan: MediaPlan, *, s3: Any, bucket: str) -> list[Finding]:
    """Copy every source to its staged key; findings for the ones that cannot be read."""

    def copy(source: tuple[str, str]) -> tuple[tuple[str, str], str | None]:
        try:
            s3.copy_object(CopySource={"Bucket": source[0], "Key": source[1]}, Bucket=bucket, Key=plan.copies[source])
        except ClientError as error:
            return source, str(error.response.get("Error", {}).get("Code") or "error")
        return source, None

    with ThreadPoolExecutor(max_workers=COPY_WORKERS) as pool:
        failed = [(source, code) for source, code in pool.map(copy, list(plan.copies)) if code]
    failed.sort(key=lambda item: plan.first_named[item[0]])
    findings = [
        Finding(
            rule="media.missing",
            message=f"s3://{source[0]}/{source[1]} cannot be read ({_reason(code)}); upload the "
            f"{'video' if _is_video(source[1]) else 'image'} to that key, or fix the URI in the record",
            line=plan.first_named[source][1],
            file=plan.first_named[source][0],
        )
        for source, code in failed[:MAX_LISTED_MISSING]
    ]
    if len(failed) > MAX_LISTED_MISSING:
        findings.append(
            Finding(
                rule="media.missing",
                message=f"{len(failed) - MAX_LISTED_MISSING} more media objects cannot be read; check every "
                "URI the dataset names",
            )
        )
    return findings


def _reason(code: str) -> str:
    if code in {"NoSuchKey", "404", "NotFound"}:
        return "no such object"
    if code in {"AccessDenied", "403"}:
        return "access denied"
    return code


def _is_video(key: str) -> bool:
    return key.lower().rsplit(".", 1)[-1] in {"mp4", "mov", "mkv", "webm", "flv", "mpeg", "mpg", "wmv", "3gp"}
