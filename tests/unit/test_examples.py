"""The example datasets are what the README and the demo show: each must be valid for its cdk.json profile
(without warnings), and the broken one must fail on the lines it was written to break."""

from __future__ import annotations

from pathlib import Path

import pytest

import app as tuneline_app
from stacks.config import load_config
from tuneline.datasets.validator import validate_dataset

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROFILES = load_config(tuneline_app.cdk_json_context()["tuneline"]).profiles
DATASETS = {
    "support-bot": "support-bot/train.jsonl",
    "support-bot-gated": "support-bot-gated/train.jsonl",
    "llama-instruct": "llama-instruct/train.jsonl",
    "titan-domain": "titan-domain/corpus.jsonl",
    "nova-distill": "nova-distill/prompts.jsonl",
    "math-rft": "math-rft/prompts.jsonl",
}


@pytest.mark.parametrize(("profile", "dataset"), sorted(DATASETS.items()))
def test_example_is_clean_for_its_profile(profile: str, dataset: str) -> None:
    settings = PROFILES[profile]
    with (EXAMPLES / dataset).open("rb") as stream:
        report = validate_dataset(
            stream,
            model_id=settings.base_model,
            customization_type=settings.customization_type,
            teacher_model_id=settings.teacher_model,
        )
    assert report.valid, [f.describe() for f in report.errors]
    assert report.warnings == []


def test_every_profile_has_an_example() -> None:
    assert set(DATASETS) == set(PROFILES)


def test_broken_example_fails_where_it_was_broken() -> None:
    with (EXAMPLES / "support-bot" / "broken.jsonl").open("rb") as stream:
        report = validate_dataset(stream, model_id=PROFILES["support-bot"].base_model)
    assert {(f.line, f.rule) for f in report.errors} == {
        (4, "message.first-role"),
        (4, "message.last-role"),
        (8, "jsonl.invalid-json"),
        (12, "text.reserved-keyword"),
    }


@pytest.mark.parametrize(("profile", "dataset"), sorted(DATASETS.items()))
def test_demo_finds_the_dataset_of_every_profile(profile: str, dataset: str) -> None:
    from local.demo import example_dataset

    assert example_dataset(EXAMPLES / profile) == EXAMPLES / dataset


def test_demo_finds_no_dataset_where_it_would_have_to_guess(tmp_path: Path) -> None:
    from local.demo import example_dataset

    (tmp_path / "broken.jsonl").write_text("{}\n")
    assert example_dataset(tmp_path) is None
    (tmp_path / "a.jsonl").write_text("{}\n")
    (tmp_path / "b.jsonl").write_text("{}\n")
    assert example_dataset(tmp_path) is None
    (tmp_path / "train.jsonl").write_text("{}\n")
    assert example_dataset(tmp_path) == tmp_path / "train.jsonl"


def test_the_demo_ends_with_its_run_and_points_at_make_emulator_to_keep_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from local.demo import main

    # Keeping the emulator up is `make emulator`'s job (local/serve.py), with a fixed port and the exports.
    with pytest.raises(SystemExit) as raised:
        main(["--keep-running"])
    assert raised.value.code == 2 and "unrecognized arguments: --keep-running" in capsys.readouterr().err
