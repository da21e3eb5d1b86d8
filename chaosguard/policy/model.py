"""The policy model: what a policy file (and the ``policy`` of an experiment's block) may say.

Every model is frozen and refuses unknown keys. Lists are stored as tuples. ``None`` in an ``allow``
list means "no restriction"; an empty ``allow`` list means "nothing is allowed". Field-by-field
documentation (and the merge rule of each field) is in ``docs/policy.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from chaosguard.policy._types import (
    DAY_NAMES,
    ActionName,
    DateOrDateTime,
    Days,
    EnvName,
    FilePath,
    HttpUrl,
    ModulePrefix,
    Namespace,
    Regex,
    Selector,
    TimeOfDay,
    TimeZoneName,
    as_tuple,
)
from chaosguard.policy.model_rules import (
    EXTENSION_NAME,
    AllOfPatternsRules,
    AllOfWindowsRules,
    FreezeRules,
    KillSwitchRules,
    PolicyRules,
    TimeWindowRules,
    pattern_tag,
    window_tag,
)
from chaosguard.slo.spec import GuardSpec

__all__ = [
    "EXTENSION_NAME",
    "ActionRules",
    "AllOfPatterns",
    "AllOfWindows",
    "ChaosguardBlock",
    "ConfigMapRef",
    "Freeze",
    "GuardSettings",
    "JournalSettings",
    "KillSwitch",
    "LocalLimits",
    "MaxTargets",
    "NamespaceRules",
    "PatternEntry",
    "Policy",
    "SelectorRules",
    "TimeWindow",
    "WindowEntry",
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Lists (stored as tuples) that also accept a single item: ``deny: kube-system``.
Namespaces = Annotated[tuple[Namespace, ...], BeforeValidator(as_tuple)]
Selectors = Annotated[tuple[Selector, ...], BeforeValidator(as_tuple)]
Regexes = Annotated[tuple[Regex, ...], BeforeValidator(as_tuple)]
FilePaths = Annotated[tuple[FilePath, ...], BeforeValidator(as_tuple)]
EnvNames = Annotated[tuple[EnvName, ...], BeforeValidator(as_tuple)]
HttpUrls = Annotated[tuple[HttpUrl, ...], BeforeValidator(as_tuple)]
ModulePrefixes = Annotated[tuple[ModulePrefix, ...], BeforeValidator(as_tuple)]
ActionNames = Annotated[tuple[ActionName, ...], BeforeValidator(as_tuple)]


class NamespaceRules(_Model):
    """Which namespaces faults may target."""

    allow: Namespaces | None = Field(
        default=None, description="only these namespaces (omitted = any namespace; [] = none)"
    )
    deny: Namespaces = Field(default=(), description="never these namespaces")


class SelectorRules(_Model):
    """Which pods faults may target, by Kubernetes label selector."""

    allow: Selectors | None = Field(
        default=None,
        description="every target must match at least one of these (omitted = any pod; [] = none)",
    )
    deny: Selectors = Field(default=(), description="no target may match any of these")


class MaxTargets(_Model):
    """The largest share of the matching targets one action may hit."""

    count: int | None = Field(
        default=None, ge=0, strict=True, description="at most this many targets"
    )
    percent: float | None = Field(
        default=None,
        gt=0,
        le=100,
        allow_inf_nan=False,
        description="at most this percent of the matching targets",
    )


class TimeWindow(TimeWindowRules, _Model):
    """Open on ``days`` from ``start`` (inclusive) to ``end`` (exclusive), wall-clock time in
    ``timezone``."""

    days: Days = Field(
        default=DAY_NAMES, description="mon..sun or ranges like mon-fri (default every day)"
    )
    start: TimeOfDay = "00:00"
    end: TimeOfDay = "24:00"
    timezone: TimeZoneName = "UTC"

    _check_window = model_validator(mode="after")(TimeWindowRules._end_after_start)


class AllOfWindows(AllOfWindowsRules, _Model):
    """Open only while every one of its windows is open (what merging two window lists produces)."""

    all_of: tuple[TimeWindow, ...] = Field(min_length=1)


WindowEntry = Annotated[
    Annotated[TimeWindow, Tag("window")] | Annotated[AllOfWindows, Tag("all_of")],
    Discriminator(window_tag),
]
WindowEntries = Annotated[tuple[WindowEntry, ...], BeforeValidator(as_tuple)]


class Freeze(FreezeRules, _Model):
    """No experiment may start from ``start`` to ``end``.

    A date means the whole day (an ``end`` date is included); a date and time is an instant (an
    ``end`` instant is excluded). Times without an offset are wall-clock times in ``timezone``.
    """

    start: DateOrDateTime
    end: DateOrDateTime
    timezone: TimeZoneName = "UTC"
    reason: str = Field(default="", max_length=500)

    _check_freeze = model_validator(mode="after")(FreezeRules._end_after_start)


Freezes = Annotated[tuple[Freeze, ...], BeforeValidator(as_tuple)]


class ConfigMapRef(_Model):
    """A key of a Kubernetes ConfigMap holding the kill switch (read by a plugged-in reader)."""

    namespace: Namespace
    name: str = Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    key: str = Field(min_length=1, max_length=253, pattern=r"^[-._A-Za-z0-9]+$")


ConfigMapRefs = Annotated[tuple[ConfigMapRef, ...], BeforeValidator(as_tuple)]


class KillSwitch(KillSwitchRules, _Model):
    """Where the kill switch lives; it is on when ANY source says on (or cannot be read)."""

    file: FilePaths = Field(default=(), description="on while the file exists (unless it says off)")
    env: EnvNames = Field(
        default=(), description="on while the variable is set (unless 0/false/off/no)"
    )
    url: HttpUrls = Field(
        default=(),
        description="on unless it answers 200 with off/false/0/no or "
        '{"enabled": false}; unreachable = on',
    )
    configmap: ConfigMapRefs = Field(default=(), description="a ConfigMap key (needs its reader)")
    timeout_s: float = Field(
        default=1.0,
        gt=0,
        le=10,
        allow_inf_nan=False,
        description="timeout of each remote read (URL, ConfigMap)",
    )


class GuardSettings(_Model):
    """How the guard watches the SLOs."""

    interval_s: float = Field(
        default=1.0,
        ge=0.1,
        le=3600,
        allow_inf_nan=False,
        description="seconds between two reads of each guard",
    )
    on_unreadable: Literal["abort", "ignore"] = Field(
        default="abort", description="what a guard source that cannot be read counts as"
    )
    error_budget_floor: float = Field(
        default=0.0,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="fraction of the error budget that must remain to start",
    )
    python_modules: ModulePrefixes = Field(
        default=(),
        description="module prefixes python SLO sources may come from besides chaosguard.* "
        "('corp.slo' allows corp.slo and corp.slo.*)",
    )
    on_window_end: Literal["stop", "finish"] = Field(
        default="stop",
        description="reaching a freeze or the end of the time window during a run: revert and "
        "stop like a breach (stop) or let the run finish",
    )


class ActionRules(_Model):
    """Which actions that are not chaosguard's own may run (foreign actions are refused)."""

    allow: ActionNames = Field(
        default=(),
        description="foreign actions allowed: 'module.func' (or 'module:func') for python "
        "providers, 'process:/abs/path' for process providers and process probes",
    )


class JournalSettings(_Model):
    """What journal publishers may do."""

    allow_plain_http_auth: bool = Field(
        default=False,
        strict=True,
        description="may a publisher send an auth header or token over plain http://",
    )


class AllOfPatterns(AllOfPatternsRules, _Model):
    """Matches only what every one of its regexes matches (what merging two allow lists
    produces)."""

    all_of: tuple[Regex, ...] = Field(min_length=1)


PatternEntry = Annotated[
    Annotated[Regex, Tag("pattern")] | Annotated[AllOfPatterns, Tag("all_of")],
    Discriminator(pattern_tag),
]
PatternEntries = Annotated[tuple[PatternEntry, ...], BeforeValidator(as_tuple)]


class LocalLimits(_Model):
    """Blast radius of local faults (process signals, CPU and memory stress)."""

    max_processes: int | None = Field(
        default=None, ge=1, strict=True, description="most processes one process action may signal"
    )
    allow_process_patterns: PatternEntries | None = Field(
        default=None,
        description="targeted processes must match one of these regexes (omitted = any)",
    )
    deny_process_patterns: Regexes = Field(
        default=(), description="targeted processes must match none of these regexes"
    )
    max_cpu_workers: int | None = Field(
        default=None, ge=1, strict=True, description="most CPU stress workers"
    )
    max_memory_mib: int | None = Field(
        default=None, ge=1, strict=True, description="most MiB of memory stress"
    )
    allow_non_loopback_listen: bool = Field(
        default=False,
        strict=True,
        description="may the latency proxy listen on an address other than loopback",
    )
    allow_stress_priority_normal: bool = Field(
        default=False,
        strict=True,
        description="may a CPU or memory stress run at normal priority (competing with services)",
    )
    max_proxy_connections: int = Field(
        default=512,
        ge=1,
        strict=True,
        description="most connections the latency proxy holds at once (more are refused)",
    )


class Policy(PolicyRules, _Model):
    """Everything a chaosguard policy says. ``Policy()`` is the default policy."""

    namespaces: NamespaceRules = NamespaceRules()
    label_selectors: SelectorRules = SelectorRules()
    max_targets: MaxTargets = MaxTargets()
    respect_pdb: bool = Field(
        default=True,
        strict=True,
        description="never disrupt more pods than a PodDisruptionBudget allows",
    )
    windows: WindowEntries = Field(
        default=(), description="experiments start only inside one of these (empty = always)"
    )
    freeze: Freezes = Field(default=(), description="no experiment starts during these")
    kill_switch: KillSwitch = KillSwitch()
    allow_unguarded: bool = Field(
        default=False, strict=True, description="may an experiment without any guard run"
    )
    guard: GuardSettings = GuardSettings()
    local: LocalLimits = LocalLimits()
    actions: ActionRules = ActionRules()
    journal: JournalSettings = JournalSettings()


Guards = Annotated[tuple[GuardSpec, ...], BeforeValidator(as_tuple)]


class ChaosguardBlock(_Model):
    """The experiment's ``extensions`` entry named ``chaosguard``."""

    name: Literal["chaosguard"]
    policy: Policy | None = Field(
        default=None, description="makes the policy file stricter for this experiment"
    )
    guards: Guards = Field(default=(), description="SLO guards watched while the experiment runs")
