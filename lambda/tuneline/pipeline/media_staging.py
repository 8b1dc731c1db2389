"""Stage the images and videos a multimodal dataset names, beside the staged dataset.

The job's service role reads only `staged/`, and a job must train on what was validated even if the originals
change later. So each media object the records name is copied (server-side) to `staged/<job>/media/<key>`,
and the staged dataset's URIs are rewritten to those copies.

Nothing is copied until every object passed its checks: it lies under the profile's media folder (the
validator reports `media.outside-prefix` first; this is the staging step's own guard), and a ranged read of its
first bytes shows the format the record declares (`media.content`, see `datasets/media_types.py`) within the
model's size limit (`media.too-large`, docs/bedrock.md §2.2). An object that fails, or cannot be read, is a
finding on the first line that names it, and the dataset is rejected before anything starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tuneline.aws_values import split_s3_uri
from tuneline.datasets.media import MediaRef, media_in_lines
from tuneline.datasets.media_types import HEAD_BYTES, mismatch
from tuneline.datasets.models import MB, ModelRules
from tuneline.findings import Finding
from tuneline.layout import MEDIA_PREFIX, STAGED_MEDIA_FOLDER
from tuneline.pipeline.s3_streams import ObjectVersion

# Copies run in parallel: each is one small server-side request, so the time is all round trips.
COPY_WORKERS = 16
# A report lists this many media objects that cannot be staged by line, then says how many more there are.
MAX_LISTED = 20


@dataclass
class MediaPlan:
    """Source object -> staged copy, where each source was first named (file, line) and the kind and format the
    record declares; sources outside the media folder are kept apart and never copied."""

    staged_prefix: str
    media_prefix: str = MEDIA_PREFIX
    copies: dict[tuple[str, str], str] = field(default_factory=dict)
    first_named: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    declared: dict[tuple[str, str], MediaRef] = field(default_factory=dict)
    outside: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def add(self, ref: MediaRef, file: str, line: int) -> None:
        # Only a dataset the validator passed gets here, so every media URI is a well-formed s3:// URI.
        source = split_s3_uri(ref.uri)
        if not source[1].startswith(self.media_prefix):
            self.outside.setdefault(source, (file, line))
            return
        if source not in self.copies:
            self.copies[source] = f"{self.staged_prefix}{STAGED_MEDIA_FOLDER}{source[1]}"
            self.first_named[source] = (file, line)
            self.declared[source] = ref

    def staged_uri(self, bucket: str) -> Callable[[str], str]:
        """URI rewriter for the staged dataset: each known source -> its copy in `bucket`."""

        def rewrite(uri: str) -> str:
            copy = self.copies.get(split_s3_uri(uri))
            return f"s3://{bucket}/{copy}" if copy else uri

        return rewrite


def plan_media(
    staged_prefix: str,
    files: Iterable[tuple[str, ObjectVersion]],
    *,
    normalize: bool,
    media_prefix: str = MEDIA_PREFIX,
) -> MediaPlan:
    """Read the dataset files once more and note every media object they name."""
    plan = MediaPlan(staged_prefix=staged_prefix, media_prefix=media_prefix)
    for name, source in files:
        for line, refs in media_in_lines(source.open(normalize=normalize)):
            for ref in refs:
                plan.add(ref, name, line)
    return plan


def copy_media(plan: MediaPlan, *, s3: Any, bucket: str, rules: ModelRules) -> list[Finding]:
    """Check every source (folder, first bytes, size), then copy them all to their staged keys; findings, and
    nothing copied, when any source fails."""
    outside = [
        Finding(
            rule="media.outside-prefix",
            message=f"s3://{source[0]}/{source[1]} is outside the media folder; images and videos must be under "
            f"s3://{source[0]}/{plan.media_prefix}: move the object there and fix the URI",
            line=line,
            file=file,
        )
        for source, (file, line) in sorted(plan.outside.items(), key=lambda item: item[1])
    ]

    def check(source: tuple[str, str]) -> tuple[tuple[str, str], str | None, str | None]:
        try:
            head = s3.get_object(Bucket=source[0], Key=source[1], Range=f"bytes=0-{HEAD_BYTES - 1}")
            first = head["Body"].read()
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code") or "error")
            if code == "InvalidRange":  # a ranged read of an empty object
                return source, "media.content", "the object is empty"
            return source, "media.missing", code
        ref = plan.declared[source]
        problem = mismatch(ref.declared_format, first)
        if problem:
            return source, "media.content", problem
        size = _object_size(head)
        limit = rules.max_video_bytes if ref.kind == "video" else rules.max_image_bytes
        if limit and size > limit:
            limits = f"{size / MB:.1f} MB; {rules.display_name} takes {ref.kind}s of up to {limit // MB} MB"
            return source, "media.too-large", limits
        return source, None, None

    def copy(source: tuple[str, str]) -> tuple[tuple[str, str], str | None, str | None]:
        try:
            s3.copy_object(CopySource={"Bucket": source[0], "Key": source[1]}, Bucket=bucket, Key=plan.copies[source])
        except ClientError as error:
            return source, "media.missing", str(error.response.get("Error", {}).get("Code") or "error")
        return source, None, None

    with ThreadPoolExecutor(max_workers=COPY_WORKERS) as pool:
        failed = [result for result in pool.map(check, list(plan.copies)) if result[1]]
        if not failed and not outside:
            failed = [result for result in pool.map(copy, list(plan.copies)) if result[1]]
    failed.sort(key=lambda item: plan.first_named[item[0]])
    findings = outside + [_finding(plan, source, rule, detail) for source, rule, detail in failed[:MAX_LISTED]]
    if len(failed) > MAX_LISTED:
        findings.append(
            Finding(
                rule="media.missing",
                message=f"{len(failed) - MAX_LISTED} more media objects cannot be staged; check every URI the "
                "dataset names",
            )
        )
    return findings


def _finding(plan: MediaPlan, source: tuple[str, str], rule: str | None, detail: str | None) -> Finding:
    file, line = plan.first_named[source]
    uri = f"s3://{source[0]}/{source[1]}"
    kind = plan.declared[source].kind
    if rule == "media.content":
        message = f"{uri}: {detail}; upload the {kind} itself (re-export it in the declared format) or fix the record"
    elif rule == "media.too-large":
        message = f"{uri} is {detail}: shrink or re-encode it"
    else:
        message = (
            f"{uri} cannot be read ({_reason(detail or 'error')}); upload the {kind} to that key, or fix the URI in "
            "the record"
        )
    return Finding(rule=rule or "media.missing", message=message, line=line, file=file)


def _object_size(response: Mapping[str, Any]) -> int:
    """The whole object's size from a ranged read ("bytes 0-63/12345"), or the bytes returned."""
    total = str(response.get("ContentRange") or "").rpartition("/")[2]
    return int(total) if total.isdigit() else int(response.get("ContentLength") or 0)


def _reason(code: str) -> str:
    if code in {"NoSuchKey", "404", "NotFound"}:
        return "no such object"
    if code in {"AccessDenied", "403"}:
        return "access denied"
    return code
