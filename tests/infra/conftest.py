from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests.infra.synth import state_machine_definitions, synthesized


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, dict[str, Any], Any]:
    return synthesized(str(tmp_path_factory.mktemp("cdk.out")))


@pytest.fixture(scope="session")
def template(synth: tuple[Template, dict[str, Any], Any]) -> Template:
    return synth[0]


@pytest.fixture(scope="session")
def template_json(synth: tuple[Template, dict[str, Any], Any]) -> dict[str, Any]:
    return synth[1]


@pytest.fixture(scope="session")
def template_path(synth: tuple[Template, dict[str, Any], Any]) -> Any:
    return synth[2]


@pytest.fixture(scope="session")
def customize_definition(template_json: dict[str, Any]) -> dict[str, Any]:
    definitions = state_machine_definitions(template_json)
    matches = [d for d in definitions.values() if "Plan job" in d["States"]]
    assert len(matches) == 1
    return matches[0]
