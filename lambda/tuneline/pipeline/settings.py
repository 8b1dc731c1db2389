"""What a Tuneline Lambda knows about its deployment, read from its environment at call time (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from tuneline.profiles import Profile, profiles_from_json


class MissingSetting(RuntimeError):
    """A required environment variable is not set: the function was deployed without it."""


@dataclass(frozen=True)
class Settings:
    environ: Mapping[str, str]

    @classmethod
    def from_env(cls) -> Settings:
        return cls(dict(os.environ))

    def _require(self, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise MissingSetting(f"environment variable {name} is not set; redeploy the Tuneline stack")
        return value

    @property
    def data_bucket(self) -> str:
        return self._require("DATA_BUCKET")

    @property
    def alert_topic_arn(self) -> str:
        return self._require("ALERT_TOPIC_ARN")

    @property
    def state_machine_arn(self) -> str:
        return self._require("STATE_MACHINE_ARN")

    @cached_property
    def profiles(self) -> dict[str, Profile]:
        return profiles_from_json(self._require("PROFILES"))
