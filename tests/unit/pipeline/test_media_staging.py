"""A multimodal dataset's images are staged beside it and the staged records point at those copies (moto)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.pipeline.conftest import Account
from tuneline.datasets.media import media_uris
from tuneline.errors import DatasetRejected
from tuneline.handlers import plan, validate

NOVA_LITE = "amazon.nova-lite-v1:0:300k"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
RECORDS = 10


def picture_record(uri: str, number: int) -> dict[str, Any]:
    return {
        "schemaVersion": "bedrock-conversation-2024",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": f"What does picture {number} show?"},
                    {"image": {"format": "png", "source": {"s3Location": {"uri": uri}}}},
                ],
            },
            {"role": "assistant", "content": [{"text": f"Picture {number} shows a cat."}]},
        ],
    }


@pytest.fixture
def nova_lite(account: Account) -> Account:
    account.use_profiles({"p": {"baseModel": NOVA_LITE, "budgetUsd": 50}})
    return account


def _dataset(account: Account, image_keys: list[str]) -> bytes:
    records = [picture_record(f"s3://{account.bucket}/{key}", n) for n, key in enumerate(image_keys)]
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def _plan(account: Account, body: bytes, **extra: Any) -> dict[str, Any]:
    version = account.upload("incoming/p/pictures.jsonl", body)
    return plan.handler(
        {"bucket": account.bucket, "key": "incoming/p/pictures.jsonl", "versionId": version, "profile": "p", **extra}
    )


def _read(account: Account, key: str) -> bytes:
    return bytes(account.s3.get_object(Bucket=account.bucket, Key=key)["Body"].read())


def test_images_are_copied_beside_the_staged_dataset_which_points_at_the_copies(nova_lite: Account) -> None:
    account = nova_lite
    # Two records share one picture: it is copied once.
    image_keys = [f"media/pictures/cat-{n % (RECORDS - 1)}.png" for n in range(RECORDS)]
    for key in set(image_keys):
        account.upload(key, PNG + key.encode())
    state = _plan(account, _dataset(account, image_keys))

    result = validate.handler({"plan": state})

    assert result["valid"] is True and result["mediaStaged"] == RECORDS - 1
    job_folder = state["stagedTrainingKey"].rsplit("/", 1)[0]
    staged_records = [json.loads(line) for line in _read(account, state["stagedTrainingKey"]).splitlines()]
    assert len(staged_records) == RECORDS
    for record, original_key in zip(staged_records, image_keys, strict=True):
        [uri] = media_uris(record)
        assert uri == f"s3://{account.bucket}/{job_folder}/media/{original_key}"
        assert _read(account, uri.removeprefix(f"s3://{account.bucket}/")) == PNG + original_key.encode()
    # Apart from the URIs, the staged records are the uploaded ones.
    uploaded = [json.loads(line) for line in _read(account, "incoming/p/pictures.jsonl").splitlines()]
    assert [r["messages"][1] for r in staged_records] == [r["messages"][1] for r in uploaded]


def test_a_missing_image_rejects_the_dataset_naming_its_line_and_nothing_is_staged(nova_lite: Account) -> None:
    account = nova_lite
    image_keys = [f"media/pictures/cat-{n}.png" for n in range(RECORDS)]
    for key in image_keys[:6] + image_keys[7:]:
        account.upload(key, PNG)
    state = _plan(account, _dataset(account, image_keys))

    with pytest.raises(DatasetRejected, match=r"pictures\.jsonl line 7: \[media\.missing\]") as rejected:
        validate.handler({"plan": state})

    assert f"s3://{account.bucket}/media/pictures/cat-6.png cannot be read (no such object)" in str(rejected.value)
    assert state["stagedTrainingKey"] not in account.keys("staged/")
    report = json.loads(_read(account, f"{state['reportPrefix']}validation.json"))
    assert report["valid"] is False
    assert [(e["file"], e["line"], e["rule"]) for e in report["errors"]] == [("pictures.jsonl", 7, "media.missing")]


def test_a_split_dataset_points_both_halves_at_the_staged_copies(nova_lite: Account) -> None:
    account = nova_lite
    account.use_profiles({"p": {"baseModel": NOVA_LITE, "budgetUsd": 50, "validationSplit": 0.2}})
    image_keys = [f"media/pictures/cat-{n}.png" for n in range(RECORDS)]
    for key in image_keys:
        account.upload(key, PNG)
    state = _plan(account, _dataset(account, image_keys))

    validate.handler({"plan": state})

    job_folder = state["stagedTrainingKey"].rsplit("/", 1)[0]
    uris = [
        uri
        for key in (state["stagedTrainingKey"], state["stagedValidationKey"])
        for line in _read(account, key).splitlines()
        for uri in media_uris(json.loads(line))
    ]
    assert len(uris) == RECORDS
    assert all(uri.startswith(f"s3://{account.bucket}/{job_folder}/media/media/pictures/") for uri in uris)


def test_a_text_dataset_is_still_staged_as_a_verbatim_server_side_copy(account: Account) -> None:
    body = b"".join(
        json.dumps({"prompt": f"s3://not/media-{n}.png?", "completion": "text"}).encode() + b"\n" for n in range(120)
    )
    version = account.upload("incoming/llama/train.jsonl", body)
    state = plan.handler(
        {"bucket": account.bucket, "key": "incoming/llama/train.jsonl", "versionId": version, "profile": "llama"}
    )
    state["budgetUsd"] = 1000
    result = validate.handler({"plan": state})
    assert result["mediaStaged"] == 0
    assert _read(account, state["stagedTrainingKey"]) == body


# --- media only from the media folder, and only what they claim to be --------------------------------------------


@pytest.mark.parametrize(
    "outside",
    ["imports/llama/model-00001-of-00004.safetensors", "incoming/other/train.jsonl", "reports/job/validation.json"],
)
def test_a_record_naming_an_object_outside_the_media_folder_is_rejected_at_its_line_and_nothing_is_copied(
    nova_lite: Account, outside: str
) -> None:
    account = nova_lite
    image_keys = [f"media/cat-{n}.png" for n in range(RECORDS)]
    for key in image_keys:
        account.upload(key, PNG)
    account.upload(outside, b"\x89PNG\r\n\x1a\n secret weights")
    image_keys[3] = outside
    state = _plan(account, _dataset(account, image_keys))

    with pytest.raises(DatasetRejected, match=r"pictures\.jsonl line 4: \[media\.outside-prefix\]") as rejected:
        validate.handler({"plan": state})

    assert f"s3://{account.bucket}/media/" in str(rejected.value)
    assert account.keys("staged/") == []
    report = json.loads(_read(account, f"{state['reportPrefix']}validation.json"))
    assert [(e["line"], e["rule"]) for e in report["errors"]] == [(4, "media.outside-prefix")]


def test_a_profile_media_prefix_moves_the_allowed_folder(nova_lite: Account) -> None:
    account = nova_lite
    account.use_profiles({"p": {"baseModel": NOVA_LITE, "budgetUsd": 50, "mediaPrefix": "datasets/images/"}})
    image_keys = [f"datasets/images/cat-{n}.png" for n in range(RECORDS)]
    for key in image_keys:
        account.upload(key, PNG)
    assert validate.handler({"plan": _plan(account, _dataset(account, image_keys))})["mediaStaged"] == RECORDS

    account.upload("media/cat-0.png", PNG)
    with pytest.raises(DatasetRejected, match=r"line 1: \[media\.outside-prefix\].*/datasets/images/"):
        validate.handler({"plan": _plan(account, _dataset(account, ["media/cat-0.png", *image_keys[1:]]))})


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 64


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(JPEG, "declared png but holds JPEG data", id="jpeg-named-png"),
        pytest.param(b"<html><body>Access denied</body></html>", "holds no image or video", id="html-error-page"),
        pytest.param(b"", "the object is empty", id="empty"),
        pytest.param(
            PNG + b"\0" * (10 * 1024 * 1024), "10.0 MB; Amazon Nova Lite takes images of up to 10 MB", id="big"
        ),
    ],
)
def test_an_image_whose_first_bytes_or_size_do_not_fit_is_a_finding_at_its_line_and_nothing_is_copied(
    nova_lite: Account, body: bytes, expected: str
) -> None:
    account = nova_lite
    image_keys = [f"media/cat-{n}.png" for n in range(RECORDS)]
    for key in image_keys:
        account.upload(key, body if key == image_keys[5] else PNG)
    state = _plan(account, _dataset(account, image_keys))

    with pytest.raises(DatasetRejected) as rejected:
        validate.handler({"plan": state})

    report = json.loads(_read(account, f"{state['reportPrefix']}validation.json"))
    [error] = report["errors"]
    assert error["line"] == 6 and error["rule"] in {"media.content", "media.too-large"}
    assert expected in error["message"] and image_keys[5] in error["message"]
    assert "line 6" in str(rejected.value)
    assert account.keys("staged/") == []
