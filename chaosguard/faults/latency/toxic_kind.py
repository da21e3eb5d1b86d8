"""The ``latency-toxic`` fault kind: this run changed the toxic of a proxy that another run owns.

Inject sets the toxic over the proxy's control socket; revert puts back the toxic the proxy had before
this run's first change (``spec.restore``). Further changes by the same run are ``update`` lines on the
same record. A proxy that has stopped meanwhile counts as ``vanished``; a proxy that is there but does
not answer makes revert fail (the record stays open for ``chaos cleanup``).
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict

from chaosguard.errors import RevertError
from chaosguard.faults.latency import control
from chaosguard.faults.latency.spec import NO_TOXIC, Toxic
from chaosguard.ledger.store import FaultRecord

__all__ = ["KIND", "LatencyToxicKind", "ToxicChange"]


class ToxicChange(BaseModel):
    """A toxic change on the proxy named ``proxy`` (record ``proxy_record``, socket ``control``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    proxy: str
    proxy_record: str
    control: str
    toxic: Toxic
    restore: Toxic = NO_TOXIC


class LatencyToxicKind:
    """Change a running proxy's toxic; revert restores the previous one."""

    name = "latency-toxic"
    Spec = ToxicChange
    revertible = True

    def inject(self, spec: ToxicChange, record: FaultRecord) -> dict[str, Any]:
        """Set ``spec.toxic`` on the proxy."""
        reply = control.request(
            spec.control, {"op": "set", "toxic": spec.toxic.model_dump(mode="json")}
        )
        return {"toxic": reply["toxic"], "toxic_since": time.time()}

    def revert(self, record: FaultRecord) -> str:
        """Put back ``spec.restore``; ``vanished`` when the proxy has stopped."""
        restore = record.spec.get("restore") or NO_TOXIC.model_dump(mode="json")
        try:
            control.request(record.spec["control"], {"op": "set", "toxic": restore})
        except control.ControlError as exc:
            if exc.gone:
                return "vanished"
            raise RevertError(f"latency-toxic {record.id}: {exc}") from exc
        return "reverted"


KIND = LatencyToxicKind()
