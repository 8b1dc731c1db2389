"""boto3 clients, created on first use (not at import) and reused across warm invocations.

Each thread gets clients of its own, made from one boto3 session under a lock: a session is not thread-safe
(creating clients from it in several threads at once can fail), while a client, once made, may be used from
any thread. Lambda calls the handler on one thread, so there this is one client per service for the whole
execution environment. A caller that runs handlers on several threads (the local emulator runs each execution
environment on a thread of its own, as Lambda runs it in a process of its own) never shares a client between
them, and creating them stays safe; the session is shared so its parsed service models are loaded once.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode retries throttling and 5xx with backoff (botocore/retries/standard.py).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
# One attempt: for calls whose "try again later" the state machine does itself, minutes apart (a Lambda that
# sleeps through the SDK's backoff only bills for waiting).
_SINGLE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


class _Clients:
    def __init__(self) -> None:
        self.lock = threading.Lock()  # guards the session: creating clients from it is not thread-safe
        self.session: boto3.session.Session | None = None
        self.per_thread = threading.local()

    def of_this_thread(self) -> dict[str, Any]:
        made: dict[str, Any] | None = getattr(self.per_thread, "clients", None)
        if made is None:
            made = self.per_thread.clients = {}
        return made


_clients = _Clients()


def client(service: str) -> Any:
    """This thread's client for `service`, made on first use with the environment's region and credentials."""
    return _client_of_this_thread(service, _CONFIG)


def single_attempt_client(service: str) -> Any:
    """Like `client`, but the SDK tries each call once: the state machine does the trying again."""
    return _client_of_this_thread(service, _SINGLE_ATTEMPT)


def _client_of_this_thread(service: str, config: Config) -> Any:
    made = _clients.of_this_thread()
    key = f"{service}/{id(config)}"
    found = made.get(key)
    if found is None:
        with _clients.lock:
            if _clients.session is None:
                _clients.session = boto3.session.Session()
            found = made[key] = _clients.session.client(service, config=config)
    return found


def cache_clear() -> None:
    """Forget the session and this thread's clients (tests that switch accounts or endpoints between cases)."""
    with _clients.lock:
        _clients.session = None
    _clients.per_thread.clients = {}
