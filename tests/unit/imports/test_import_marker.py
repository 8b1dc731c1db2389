"""The `_READY` marker: which keys start an import, its optional manifest, and the names it yields."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tuneline.errors import ManifestInvalid
from tuneline.imports.marker import (
    MAX_MARKER_BYTES,
    ImportManifest,
    import_names,
    is_import_marker,
    model_data_uri,
    model_data_uri_problem,
    parse_manifest,
    parse_marker_key,
)

JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9\+\-\.])*$")
IMPORTED_MODEL_NAME = re.compile(r"^([0-9a-zA-Z][_-]?)+$")
CLIENT_REQUEST_TOKEN = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?$")
KEY = "imports/llama-support/_READY"

# --- marker keys -------------------------------------------------------------------------------------


def test_the_marker_names_its_model_folder() -> None:
    marker = parse_marker_key(KEY)

    assert marker is not None
    assert marker.model_name == "llama-support"
    assert marker.folder == "imports/llama-support/"
    assert marker.key == KEY


def test_event_keys_are_url_decoded() -> None:
    marker = parse_marker_key("imports/my+model%21/_READY")

    assert marker is not None
    assert marker.model_name == "my model!"
    assert parse_marker_key("imports/my+model/_READY", url_encoded=False) == parse_marker_key(
        "imports/my%2Bmodel/_READY"
    )


@pytest.mark.parametrize(
    "key",
    [
        "imports/llama/config.json",
        "imports/llama/model-00001-of-00002.safetensors",
        "imports/_READY",
        "imports//_READY",
        "imports/.hidden/_READY",
        "imports/team/llama/_READY",
        "imports/llama/_READY.json",
        "imports/llama/_ready",
        "incoming/llama/_READY",
        "staged/imports/llama/_READY",
        "imports/llama/_READY/",
    ],
)
def test_other_keys_are_not_markers(key: str) -> None:
    assert not is_import_marker(key, url_encoded=False)


def test_the_model_location_is_the_folder_uri() -> None:
    assert model_data_uri("data-bucket", "imports/llama/") == "s3://data-bucket/imports/llama/"
    assert model_data_uri_problem("data-bucket", "imports/llama-3.1_ft(v2)/") is None


@pytest.mark.parametrize(
    "folder", ["imports/my model/", "imports/a+b/", "imports/k=v/", "imports/50%/", "imports/modèle/"]
)
def test_folder_names_bedrock_rejects_in_s3_uris_are_reported(folder: str) -> None:
    problem = model_data_uri_problem("data-bucket", folder)

    assert problem is not None
    assert folder in problem


# --- manifest ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"  \n", b"{}", b"\xef\xbb\xbf{}"])
def test_an_empty_marker_means_defaults(body: bytes) -> None:
    assert parse_manifest(body, key=KEY) == ImportManifest()


def test_every_option_is_read() -> None:
    body = json.dumps(
        {
            "importedModelName": "support-bot_v3",
            "description": "  Llama 3.1 8B, QLoRA on tickets ",
            "tags": {"team": "support", "cost-center": "42"},
            "smokePrompt": "Say hello.",
            "smokeMaxTokens": 32,
        }
    ).encode()

    manifest = parse_manifest(body, key=KEY)

    assert manifest == ImportManifest(
        imported_model_name="support-bot_v3",
        description="Llama 3.1 8B, QLoRA on tickets",
        tags={"team": "support", "cost-center": "42"},
        smoke_prompt="Say hello.",
        smoke_max_tokens=32,
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"{not json", "line 1 column 2"),
        (b"[1]", "(file)"),
        (b"\xff\xfe", "(file)"),
        (b'{"importedModelName": "a", "importedModelName": "b"}', "importedModelName"),
        (b'{"importedModelNam": "a"}', "importedModelNam"),
        (b'{"importedModelName": "bad..name"}', "importedModelName"),
        (b'{"importedModelName": "a__b"}', "importedModelName"),
        (b'{"importedModelName": 7}', "importedModelName"),
        (b'{"tags": ["team"]}', "tags"),
        (b'{"tags": {"aws:owner": "x"}}', "tags.aws:owner"),
        (b'{"tags": {"team": "a#b"}}', "tags.team"),
        (b'{"tags": {"team": 1}}', "tags.team"),
        (b'{"smokeMaxTokens": 0}', "smokeMaxTokens"),
        (b'{"smokeMaxTokens": 2.5}', "smokeMaxTokens"),
        (b'{"smokeMaxTokens": true}', "smokeMaxTokens"),
        (b'{"smokePrompt": ["hi"]}', "smokePrompt"),
    ],
)
def test_bad_manifests_name_the_marker_key_and_the_option(body: bytes, named: str) -> None:
    with pytest.raises(ManifestInvalid) as raised:
        parse_manifest(body, key=KEY)

    message = str(raised.value)
    assert message.startswith(f"{KEY}: ")
    assert named in message
    assert "Fix:" in message


def test_a_long_imported_model_name_is_rejected() -> None:
    with pytest.raises(ManifestInvalid, match="importedModelName"):
        parse_manifest(json.dumps({"importedModelName": "a" * 64}).encode(), key=KEY)


def test_an_oversized_marker_is_rejected_before_parsing() -> None:
    with pytest.raises(ManifestInvalid, match="bytes"):
        parse_manifest(b" " * (MAX_MARKER_BYTES + 1), key=KEY)


# --- names ---------------------------------------------------------------------------------------------


def test_names_are_readable_and_deterministic() -> None:
    names = import_names("data-bucket", "imports/Llama Support/", "v1")

    assert names == import_names("data-bucket", "imports/Llama Support", "v1")
    assert names.model_name == "Llama Support"
    assert names.job_name.startswith("tuneline-import-llama-support-")
    assert names.imported_model_name.startswith("tuneline-llama-support-")
    assert names.client_request_token.startswith("tuneline-import-")


def test_a_manifest_name_is_used_as_given() -> None:
    names = import_names("data-bucket", "imports/llama/", "v1", imported_model_name="support-bot")

    assert names.imported_model_name == "support-bot"


def test_a_folder_name_without_letters_or_digits_still_gets_names() -> None:
    names = import_names("data-bucket", "imports/___/", None)

    assert JOB_NAME.match(names.job_name)
    assert IMPORTED_MODEL_NAME.match(names.imported_model_name)


folder_names = st.text(min_size=1, max_size=200).filter(lambda name: "/" not in name)
buckets = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True)
version_ids = st.one_of(st.none(), st.text(min_size=1, max_size=64))


@given(buckets, folder_names, version_ids)
def test_names_are_always_valid_and_short_enough(bucket: str, model: str, version: str | None) -> None:
    names = import_names(bucket, f"imports/{model}/", version)

    assert JOB_NAME.match(names.job_name) and len(names.job_name) <= 63
    assert IMPORTED_MODEL_NAME.match(names.imported_model_name) and len(names.imported_model_name) <= 63
    assert "--" not in names.imported_model_name and "__" not in names.imported_model_name
    assert CLIENT_REQUEST_TOKEN.match(names.client_request_token)
    assert len(names.client_request_token) <= 256
    assert names == import_names(bucket, f"imports/{model}/", version)


@given(buckets, folder_names, st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=64))
def test_each_marker_version_gets_its_own_names(bucket: str, model: str, first: str, second: str) -> None:
    assume(first != second)
    one = import_names(bucket, f"imports/{model}/", first)
    other = import_names(bucket, f"imports/{model}/", second)

    assert one.job_name != other.job_name
    assert one.imported_model_name != other.imported_model_name
    assert one.client_request_token != other.client_request_token


@pytest.mark.parametrize(
    ("option", "meant"),
    [("importModelName", "importedModelName"), ("smoke_prompt", "smokePrompt"), ("Tags", "tags")],
)
def test_a_mistyped_option_suggests_the_one_meant(option: str, meant: str) -> None:
    with pytest.raises(ManifestInvalid) as raised:
        parse_manifest(json.dumps({option: "x"}).encode(), key=KEY)
    assert f"{option} is not an import option" in str(raised.value)
    assert f"did you mean {meant!r}?" in str(raised.value)


def test_a_marker_of_deeply_nested_arrays_is_invalid_json_naming_the_marker() -> None:
    with pytest.raises(ManifestInvalid) as raised:
        parse_manifest(b"[" * 5_000, key=KEY)

    message = str(raised.value)
    assert message.startswith(f"{KEY}: ") and "is not valid JSON (nested too deeply" in message
    assert "recursion" not in message.lower()
