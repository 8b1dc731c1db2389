"""Shared test set-up: no test touches real AWS; fake credentials and a fixed region for every test."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "lambda"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SECURITY_TOKEN"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"

# Hypothesis fails an example that takes longer than 200 ms by default: a wall-clock assertion, which a loaded
# CI machine trips at random. Examples are still bounded by their count; timing lives in bench/.
settings.register_profile("tuneline", deadline=None)
settings.load_profile("tuneline")


# Under `make test` (pytest-xdist) a worker reports "finished" at the end of pytest_sessionfinish, and the
# controller then gives it 5 seconds (execnet's limit) to end pytest before it sends the worker a SIGINT.
# What a worker still does then is pytest's own end-of-session garbage collections, and a full collection
# walks every tracked object: close to a million here (moto, botocore's service models, the CDK and jsii),
# one to four seconds each depending on CPU load. Past the limit the SIGINT lands in whatever Python code a
# collection runs (a finalizer, hypothesis's gc callback) and ends as a "PytestUnraisableExceptionWarning ...
# KeyboardInterrupt" after a green run. So the full collection happens here, before the worker reports,
# and what survives it is frozen: pytest's later collections find no garbage and have nothing left to walk.


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported lives to the end of the run: the full collections during it need not walk it."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    gc.collect()  # an unraisable exception from a finalizer here is still reported by pytest
    gc.freeze()
