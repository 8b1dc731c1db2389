"""Which objects under `incoming/` are datasets, companions or noise.

Users drop `incoming/<profile>/<any/folders>/<name>.jsonl`. Beside it, by convention, live the optional
`<name>.validation.jsonl` (validation set) and `<name>.job.json` (per-job options). Only the training file
starts a job; companions are read when it arrives.

`tuneline split` writes `<name>.train.jsonl` and `<name>.validation.jsonl`: uploaded as written, they pair.
A training file named `<name>.train.jsonl` takes `<name>.train.validation.jsonl` (and `.job.json`) when
there is one, else `<name>.validation.jsonl` (and `<name>.job.json`).

Keys in S3 event notifications are URL-encoded (`+` for a space, `%XX` for other bytes), so functions that
take a key straight from an event decode it first; `IncomingObject.key` is always the real S3 key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_plus

from tuneline.layout import DATASET_SUFFIX, EVALUATION_SUFFIX, INCOMING_PREFIX, MANIFEST_SUFFIX, VALIDATION_SUFFIX

TRAINING_SUFFIX = DATASET_SUFFIX
# The training half of a split: `<name>.train.jsonl` pairs with `<name>.validation.jsonl`.
SPLIT_TRAINING_MARK = ".train"

ObjectKind = Literal["training", "validation", "manifest", "evaluation"]

# Longest suffix first: a validation file also ends with ".jsonl".
_SUFFIXES: tuple[tuple[str, ObjectKind], ...] = (
    (VALIDATION_SUFFIX, "validation"),
    (EVALUATION_SUFFIX, "evaluation"),
    (MANIFEST_SUFFIX, "manifest"),
    (TRAINING_SUFFIX, "training"),
)


@dataclass(frozen=True)
class IncomingObject:
    """A dataset-related object under `incoming/<profile>/`.

    `folder` is the path between the profile and the file name ("" when the file sits right under the
    profile); `dataset` is the file name without its kind suffix, shared by a training file and its
    companions.
    """

    key: str
    profile: str
    folder: str
    dataset: str
    kind: ObjectKind

    @property
    def training_key(self) -> str:
        return self.key if self.kind == "training" else self._sibling(TRAINING_SUFFIX)

    @property
    def validation_key(self) -> str:
        return self._sibling(VALIDATION_SUFFIX)

    @property
    def manifest_key(self) -> str:
        return self._sibling(MANIFEST_SUFFIX)

    @property
    def evaluation_key(self) -> str:
        return self._sibling(EVALUATION_SUFFIX)

    def _sibling(self, suffix: str) -> str:
        folder = f"{self.folder}/" if self.folder else ""
        return f"{INCOMING_PREFIX}{self.profile}/{folder}{self.dataset}{suffix}"


def decode_event_key(key: str) -> str:
    """The real S3 key behind a key as S3 event notifications deliver it."""
    return unquote_plus(key)


def classify_key(key: str, *, url_encoded: bool = True) -> IncomingObject | None:
    """Classify an object key, or None when it is not a dataset, validation set or job manifest.

    By default the key is taken as it arrives in an S3 event (URL-encoded); pass `url_encoded=False` for a
    key read from the S3 API or from a previous classification.
    """
    real_key = decode_event_key(key) if url_encoded else key
    if not real_key.startswith(INCOMING_PREFIX) or real_key.endswith("/"):
        # A trailing slash is a console "folder" marker, even when the folder is called x.jsonl.
        return None
    parts = real_key[len(INCOMING_PREFIX) :].split("/")
    if len(parts) < 2:
        return None
    profile, *folders, file_name = parts
    if not profile.strip() or any(part in (".", "..") for part in parts):
        return None
    kind_and_dataset = _split_suffix(file_name)
    if kind_and_dataset is None:
        return None
    kind, dataset = kind_and_dataset
    # Hidden files (".DS_Store", macOS "._name.jsonl" resource forks) come along with folder uploads but
    # are never datasets.
    if not dataset.strip() or dataset.startswith("."):
        return None
    return IncomingObject(key=real_key, profile=profile, folder="/".join(folders), dataset=dataset, kind=kind)


def is_job_trigger(key: str, *, url_encoded: bool = True) -> bool:
    """True only for a training file: companions never start a job by themselves."""
    incoming = classify_key(key, url_encoded=url_encoded)
    return incoming is not None and incoming.kind == "training"


def companion_keys(training_key: str) -> tuple[str, str]:
    """(validation_key, manifest_key) by the naming convention, for a real (decoded) training key."""
    incoming = classify_key(training_key, url_encoded=False)
    if incoming is None or incoming.kind != "training":
        raise ValueError(f"{training_key!r} is not a training file under {INCOMING_PREFIX}<profile>/")
    return incoming.validation_key, incoming.manifest_key


def match_companions(training_key: str, sibling_keys: Iterable[str]) -> tuple[str | None, str | None]:
    """(validation_key, manifest_key) found among the keys listed beside a training file, or None each.

    S3 keys are case-sensitive but users are not: `Data.JSONL` may come with `Data.Validation.jsonl`. An
    exact conventional name wins; otherwise a name that differs only in letter case is accepted.
    """
    validation_key, manifest_key = companion_keys(training_key)
    listed = list(sibling_keys)
    validation, manifest = _find_key(validation_key, listed), _find_key(manifest_key, listed)
    split_base = _split_base(training_key)
    if split_base is not None:
        validation = validation or _find_key(f"{split_base}{VALIDATION_SUFFIX}", listed)
        manifest = manifest or _find_key(f"{split_base}{MANIFEST_SUFFIX}", listed)
    return validation, manifest


def match_evaluation_set(training_key: str, sibling_keys: Iterable[str]) -> str | None:
    """The `<name>.eval.jsonl` listed beside a training file (letter case forgiven, as for the others)."""
    incoming = classify_key(training_key, url_encoded=False)
    if incoming is None:
        return None
    listed = list(sibling_keys)
    found = _find_key(incoming.evaluation_key, listed)
    split_base = _split_base(training_key)
    if found is None and split_base is not None:
        found = _find_key(f"{split_base}{EVALUATION_SUFFIX}", listed)
    return found


def _split_base(training_key: str) -> str | None:
    """`incoming/p/x` for the training half of a split, `incoming/p/x.train.jsonl`; else None."""
    stem = training_key[: -len(TRAINING_SUFFIX)]
    if not stem.lower().endswith(SPLIT_TRAINING_MARK):
        return None
    base = stem[: -len(SPLIT_TRAINING_MARK)]
    name = base.rsplit("/", 1)[-1]
    return base if name.strip() and not name.startswith(".") else None


def _find_key(wanted: str, listed: list[str]) -> str | None:
    if wanted in listed:
        return wanted
    folded = wanted.casefold()
    matches = sorted(key for key in listed if key.casefold() == folded)
    return matches[0] if matches else None


def _split_suffix(file_name: str) -> tuple[ObjectKind, str] | None:
    lowered = file_name.lower()
    for suffix, kind in _SUFFIXES:
        if lowered.endswith(suffix):
            return kind, file_name[: -len(suffix)]
    return None
