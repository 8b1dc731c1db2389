"""A per-thread view of `os.environ`, so an in-process Lambda handler gets its function's environment
without changing what any other thread sees.

Lambda handlers read their settings from `os.environ`, which is one mapping for the whole process. Swapping
its contents for the length of an invocation (update, then clear and restore) breaks every other thread that
reads it meanwhile: a Step Functions interpreter thread or a test creating a boto3 client iterates
`os.environ` (urllib's proxy lookup does), and a key removed between its snapshot of the keys and its read
raises KeyError. Under CPU load this failed workflow steps with `Exception: 'AWS_LAMBDA_...'`.

`install()` puts a thread-aware mapping behind `os.environ` (and `os.environb`, which shares it): it holds
the process's variables, and `thread_environment(...)` gives the calling thread its own complete set for the
length of a block. Other threads keep reading the process's variables, and nothing shared changes during an
invocation. Threads a handler starts see the process's variables. A handler that writes `os.environ` changes
only its own view in Python, but `os.putenv`/`os.unsetenv` still reach the C-level environment, which only
child processes read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

# os._Environ stores encoded keys and values: bytes on POSIX, str on Windows.
Encoded = Any
_INSTALLING = threading.Lock()


class ThreadAwareEnvironData(MutableMapping[Encoded, Encoded]):
    """Stands in for `os.environ._data` (encoded keys and values, as `os._Environ` stores them)."""

    def __init__(self, shared: MutableMapping[Encoded, Encoded]) -> None:
        # The process's own dict, not a copy: a write from another thread between copying and swapping
        # cannot be lost.
        self.shared = shared
        self._local = threading.local()

    @property
    def own(self) -> dict[Encoded, Encoded] | None:
        """The calling thread's own variables, or None when it reads the process's."""
        return getattr(self._local, "data", None)

    @own.setter
    def own(self, data: dict[Encoded, Encoded] | None) -> None:
        self._local.data = data

    def _current(self) -> MutableMapping[Encoded, Encoded]:
        own = self.own
        return self.shared if own is None else own

    def __getitem__(self, key: Encoded) -> Encoded:
        return self._current()[key]

    def __setitem__(self, key: Encoded, value: Encoded) -> None:
        self._current()[key] = value

    def __delitem__(self, key: Encoded) -> None:
        del self._current()[key]

    def __iter__(self) -> Iterator[Encoded]:
        # A snapshot, as `os._Environ.__iter__` expects from `list(self._data)`.
        return iter(list(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def __contains__(self, key: object) -> bool:
        return key in self._current()


def install() -> ThreadAwareEnvironData:
    """Puts the thread-aware mapping behind `os.environ` once per process; returns it.

    Until a thread enters `thread_environment`, every read and write goes to the process's variables as
    before, so leaving it installed changes nothing for code that does not use it.
    """
    environ = os.environ
    with _INSTALLING:
        data = environ._data  # type: ignore[attr-defined]
        if isinstance(data, ThreadAwareEnvironData):
            return data
        aware = ThreadAwareEnvironData(data)
        environ._data = aware  # type: ignore[attr-defined]
        environb = getattr(os, "environb", None)
        if environb is not None and environb._data is data:
            environb._data = aware
        return aware


@contextmanager
def thread_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Within the block, `os.environ` in the calling thread is exactly `variables`; other threads see no change.

    Blocks nest: the enclosing block's variables come back when an inner one ends.
    """
    data = install()
    environ = os.environ
    encoded = {environ.encodekey(key): environ.encodevalue(str(value)) for key, value in variables.items()}
    previous = data.own
    data.own = encoded
    try:
        yield
    finally:
        data.own = previous


def process_variables() -> dict[str, str]:
    """The process's variables (not a thread's own), decoded, as a snapshot."""
    data = install()
    environ = os.environ
    snapshot = dict(data.shared)  # one C-level copy: atomic with respect to other threads
    return {environ.decodekey(key): environ.decodevalue(value) for key, value in snapshot.items()}
