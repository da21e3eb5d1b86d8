"""The suite file's model: experiments (path, name, weight, timeout, ``chaos run`` arguments), the
shared policy and guards, recovery between experiments, timeouts and what to do after an abort.

Validated with the suite's directory as context (``base``): file paths are resolved against it and
must exist. Loading, ``${NAME}`` expansion and planning are :mod:`chaosguard.gameday.suite`'s.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from chaosguard.slo.spec import GuardSpec

__all__ = ["ExperimentRef", "Recovery", "Suite", "suite_schema"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ChaosArgs = Annotated[tuple[Annotated[str, Field(max_length=4096)], ...], Field(max_length=100)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _file(value: str, info: ValidationInfo) -> str:
    """``value`` resolved against the suite's directory (validation context ``base``); a file."""
    base = Path((info.context or {}).get("base") or ".")
    if not value.strip():
        raise ValueError("expected a file path, got an empty string")
    path = base / Path(value).expanduser()
    try:
        found = path.is_file()
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot use {value!r}: {exc}") from None
    if not found:
        what = "is not a file" if path.exists() else "file not found"
        raise ValueError(f"{what}: {value}")
    return str(path.resolve())


def _ref_from_str(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


class ExperimentRef(_Model):
    """One experiment of the suite (a bare string is short for ``{path: ...}``)."""

    path: str = Field(description="experiment file (YAML or JSON), relative to the suite file")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="name in reports and JUnit (default: the experiment's title)",
    )
    weight: float = Field(
        default=1.0,
        gt=0,
        le=1000,
        allow_inf_nan=False,
        description="weight of this experiment in the resilience score",
    )
    timeout_s: float | None = Field(
        default=None,
        gt=0,
        le=86400,
        allow_inf_nan=False,
        description="stop this experiment after this long (default: the "
        "suite's experiment_timeout_s)",
    )
    chaos_args: ChaosArgs = Field(
        default=(), description="extra `chaos run` arguments for this experiment"
    )

    @field_validator("path")
    @classmethod
    def _experiment_file(cls, value: str, info: ValidationInfo) -> str:
        return _file(value, info)


class Recovery(_Model):
    """Between two experiments, wait until every suite guard is healthy again."""

    timeout_s: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        allow_inf_nan=False,
        description="give up waiting after this long",
    )
    interval_s: float = Field(
        default=2.0,
        ge=0.05,
        le=600,
        allow_inf_nan=False,
        description="seconds between two reads of the suite guards",
    )
    settle_s: float = Field(
        default=0.0,
        ge=0,
        le=3600,
        allow_inf_nan=False,
        description="every guard must stay healthy this long (0: one healthy read)",
    )
    read_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        allow_inf_nan=False,
        description="timeout of one read of one guard",
    )
    on_timeout: Literal["error", "continue"] = Field(
        default="error",
        description="error: stop the suite, exit 4; continue: run the next experiment "
        "anyway (its preflight refuses it while a suite guard is breached)",
    )


Experiments = Annotated[
    tuple[Annotated[ExperimentRef, BeforeValidator(_ref_from_str)], ...],
    Field(min_length=1, max_length=500),
]


class Suite(_Model):
    """A game day: experiments run in order with a shared policy and shared guards."""

    name: str = Field(
        min_length=1, max_length=200, description="suite name (JUnit suite, report title)"
    )
    description: str = Field(default="", max_length=10000)
    policy: str | None = Field(
        default=None,
        description="policy file shared by every experiment "
        "(default: $CHAOSGUARD_POLICY, else built-in)",
    )
    guards: tuple[GuardSpec, ...] = Field(
        default=(),
        max_length=50,
        description="SLO guards added to every experiment; the "
        "runner waits for them to be healthy between "
        "experiments",
    )
    experiments: Experiments = Field(description="experiment files, run in this order")
    chaos_args: ChaosArgs = Field(
        default=(),
        description="extra `chaos run` arguments for every "
        "experiment (before the experiment's own)",
    )
    experiment_timeout_s: float = Field(
        default=3600.0,
        gt=0,
        le=86400,
        allow_inf_nan=False,
        description="default timeout of one experiment",
    )
    continue_on_abort: bool = Field(
        default=False, strict=True, description="keep going after a guard aborted an experiment"
    )
    continue_on_error: bool = Field(
        default=False, strict=True, description="keep going after an experiment ended in error"
    )
    recovery: Recovery = Recovery()
    output_dir: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="where journals and reports go, relative to the working "
        "directory (default runs/<name>-<time>)",
    )

    @field_validator("policy")
    @classmethod
    def _policy_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _file(value, info)


def suite_schema() -> dict[str, Any]:
    """The JSON Schema of a suite file."""
    schema = Suite.model_json_schema(mode="validation")
    schema["title"] = "chaosguard game-day suite"
    return {"$schema": _DIALECT, **schema}
