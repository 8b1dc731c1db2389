"""What a Tuneline Lambda knows about its deployment, read from its environment at call time (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from tuneline.profiles import Profile, profiles_from_document


class MissingSetting(RuntimeError):
    """A required environment variable or file is missing: the function was deployed without it."""


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
    def profiles(self) -> Mapping[str, Profile]:
        """The deployment's job profiles, from the document in the function's own code
        (docs/decisions/0010-profiles-at-run-time.md). Only functions deployed with `PROFILES_FILE` read them."""
        # LAMBDA_TASK_ROOT is where Lambda unpacked the function's code (/var/task). Read on each call that needs
        # it (about 2 ms for 100 profiles) rather than cached per process: the runtime package keeps no state
        # that execution environments could share.
        path = Path(self._require("LAMBDA_TASK_ROOT")) / self._require("PROFILES_FILE")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MissingSetting(f"the profiles document {path} is missing; redeploy the Tuneline stack") from None
        return MappingProxyType(profiles_from_document(text))
