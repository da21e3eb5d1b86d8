"""Process 0's all-or-none toxic change across its siblings (:class:`Siblings.change`), with each
sibling's channel end played by a thread on a real socketpair: one that takes every change, one
that is silent from the start, and one that takes the change but never confirms the way back."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from chaosguard.faults.latency import _family
from chaosguard.faults.latency._family import Siblings
from chaosguard.faults.latency.control import ControlError

#: answers the n-th request (0-based) it reads, or stays silent
Answers = Callable[[int], bool]


class _Sibling:
    """The far end of one channel: records every request, answers those ``answers`` allows."""

    def __init__(self, chan: socket.socket, answers: Answers) -> None:
        self.chan = chan
        self.answers = answers
        self.seen: list[dict] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        buf = b""
        while chunk := self.chan.recv(65536):
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                request = json.loads(line)
                self.seen.append(request)
                if self.answers(len(self.seen) - 1):
                    answer = {"id": request["id"], "ok": True}
                    self.chan.sendall(json.dumps(answer).encode() + b"\n")

    def toxics(self, expected: int) -> list[float]:
        """The latencies of the first ``expected`` requests, once it has read that many (a
        silent sibling may still be reading what was sent before the call returned)."""
        deadline = time.monotonic() + 5.0
        while len(self.seen) < expected and time.monotonic() < deadline:
            time.sleep(0.005)
        return [r["toxic"]["latency_ms"] for r in self.seen]


@pytest.fixture()
def family(monkeypatch) -> Iterator[Callable[..., tuple[Siblings, list[_Sibling]]]]:
    monkeypatch.setattr(_family, "CHANNEL_TIMEOUT_S", 0.3)
    ends: list[socket.socket] = []

    def build(*answers: Answers) -> tuple[Siblings, list[_Sibling]]:
        siblings, far = Siblings(), []
        for slot, rule in enumerate(answers, start=1):
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            ends.extend((mine, theirs))
            siblings.members[slot] = (10_000 + slot, mine)
            far.append(_Sibling(theirs, rule))
        return siblings, far

    yield build
    for end in ends:
        end.close()


def _always(_: int) -> bool:
    return True


def _never(_: int) -> bool:
    return False


def _first_only(n: int) -> bool:
    return n == 0


NEW, OLD = {"latency_ms": 50}, {"latency_ms": 20}


def test_a_change_every_sibling_confirms_is_sent_once(family) -> None:
    siblings, far = family(_always, _always)
    siblings.change(NEW, OLD)
    assert [s.toxics(1) for s in far] == [[50], [50]]


def test_a_silent_sibling_makes_the_others_put_the_previous_toxic_back(family) -> None:
    siblings, far = family(_always, _never, _always)
    with pytest.raises(ControlError, match=r"process 2 \(pid 10002\) did not answer \(every"):
        siblings.change(NEW, OLD)
    # every sibling, the silent one included, was sent the change and then the way back
    assert [s.toxics(2) for s in far] == [[50, 20]] * 3


def test_a_sibling_that_does_not_confirm_the_way_back_is_named(family) -> None:
    siblings, far = family(_never, _first_only)
    with pytest.raises(ControlError) as caught:
        siblings.change(NEW, OLD)
    message = str(caught.value)
    assert message.startswith("proxy process 1 (pid 10001) did not answer")
    assert "process 2 did not confirm the way back" in message
    assert "keeps the previous toxic" not in message  # never claims what it cannot know
    assert [s.toxics(2) for s in far] == [[50, 20], [50, 20]]
