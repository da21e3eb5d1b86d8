"""The publishers configuration: where each journal goes after the run.

From the Chaos Toolkit settings file (``~/.chaostoolkit/settings.yaml`` or ``chaos --settings``)::

    chaosguard:
      publishers:
        - type: directory                 # always runs first (added with root "runs" if absent)
          root: /var/lib/chaos/runs
        - type: webhook
          url: https://hooks.example.com/chaos
          auth_env: CHAOS_WEBHOOK_TOKEN   # the header VALUE comes from this environment variable
          auth_scheme: Bearer
        - type: pushgateway
          url: http://127.0.0.1:9091
        - {type: junit, path: reports/chaos-junit.xml}
        - {type: markdown}                # $GITHUB_STEP_SUMMARY when set, else <run dir>/summary.md
        - {type: html}                    # <run dir>/report.html
      redact:
        env: [MY_SERVICE_PASSWORD]        # more environment variables whose values are secrets

and/or from the YAML file named by ``$CHAOSGUARD_PUBLISHERS`` (the same mapping, or just the list).
Both sources are concatenated. Errors are one :class:`~chaosguard.errors.InvalidArgument` naming the
field, e.g. ``invalid argument 'chaosguard.publishers.1.url': required field missing``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chaosguard.errors import InvalidArgument
from chaosguard.journal._keys import ENV_VAR, SETTINGS_KEY
from chaosguard.journal.redact import is_secret_key

__all__ = [
    "ENV_VAR",
    "PublisherBase",
    "HttpTarget",
    "DirectoryPublisher",
    "WebhookPublisher",
    "PushgatewayPublisher",
    "JunitPublisher",
    "MarkdownPublisher",
    "HtmlPublisher",
    "PublisherSpec",
    "RedactSettings",
    "PublishersConfig",
    "load_config",
    "parse_config",
]

_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}
_TAGS = {"directory", "webhook", "pushgateway", "junit", "markdown", "html"}


class PublisherBase(BaseModel):
    """What every publisher has: an optional name and a bounded retry budget."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    #: total tries (1 = no retry)
    attempts: int = Field(default=3, ge=1, le=10)
    #: first pause between tries; doubled after each failure
    backoff_s: float = Field(default=0.5, ge=0, le=60)
    #: the publisher gives up once this much time has passed since its first try
    max_total_s: float = Field(default=30.0, gt=0, le=600)

    @property
    def label(self) -> str:
        """How results and logs name this publisher."""
        return self.name or str(getattr(self, "type", "publisher"))


class HttpTarget(PublisherBase):
    """What the webhook and Pushgateway publishers share: URL, TLS verification, auth, timeout."""

    url: str
    #: True (system CAs), False (no verification), or the path of a CA bundle file or directory
    verify: bool | str = True
    #: environment variable holding the auth header's value (never put the value in the file)
    auth_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    auth_header: str = Field(default="Authorization", pattern=r"^[A-Za-z0-9-]+$")
    #: prefix of the value, e.g. ``Bearer`` → ``Authorization: Bearer <value>``
    auth_scheme: str = Field(default="", pattern=r"^[A-Za-z0-9-]*$")
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http:// or https:// URL (got {value[:60]!r})")
        if parts.username or parts.password:
            raise ValueError("credentials in the URL are not allowed: use auth_env")
        if any(is_secret_key(k.split("=", 1)[0]) for k in parts.query.split("&") if k):
            raise ValueError("secret-looking query parameters are not allowed: use auth_env")
        return value

    @field_validator("verify")
    @classmethod
    def _verify(cls, value: bool | str) -> bool | str:
        if isinstance(value, str) and not Path(value).expanduser().exists():
            raise ValueError(f"CA bundle {value!r} does not exist (give a path, true or false)")
        return value


class DirectoryPublisher(PublisherBase):
    """``<root>/<UTC start>-<slug>/journal.json``, written atomically; an existing run dir is never
    reused."""

    type: Literal["directory"]
    root: Path = Path("runs")


class WebhookPublisher(HttpTarget):
    """POST the redacted journal as JSON."""

    type: Literal["webhook"]
    attempts: int = Field(default=4, ge=1, le=10)
    #: extra headers (not secret ones: those go through auth_env)
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if is_secret_key(key):
                raise ValueError(f"header {key!r} looks secret: set auth_header/auth_env instead")
        return value


class PushgatewayPublisher(HttpTarget):
    """PUT the run's metrics to a Prometheus Pushgateway (group: job + experiment slug +
    ``grouping``)."""

    type: Literal["pushgateway"]
    job: str = Field(default="chaosguard", min_length=1)
    grouping: dict[str, str] = Field(default_factory=dict)

    @field_validator("grouping")
    @classmethod
    def _grouping(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if (
                not key.replace("_", "a").isalnum()
                or key[:1].isdigit()
                or key in ("job", "experiment")
            ):
                raise ValueError(
                    f"grouping label {key!r} must be a Prometheus label name other than "
                    "job/experiment"
                )
        return value


class JunitPublisher(PublisherBase):
    """One JUnit XML file (path may use ``{run_dir}``, ``{slug}``, ``{timestamp}``)."""

    type: Literal["junit"]
    path: str = "{run_dir}/junit.xml"
    suite_name: str = Field(default="chaosguard", min_length=1)


class MarkdownPublisher(PublisherBase):
    """A Markdown summary: appended to ``$GITHUB_STEP_SUMMARY`` when set (and ``step_summary``),
    else ``path``."""

    type: Literal["markdown"]
    path: str = "{run_dir}/summary.md"
    step_summary: bool = True


class HtmlPublisher(PublisherBase):
    """The self-contained HTML report of the run."""

    type: Literal["html"]
    path: str = "{run_dir}/report.html"
    title: str | None = None


PublisherSpec = Annotated[
    DirectoryPublisher
    | WebhookPublisher
    | PushgatewayPublisher
    | JunitPublisher
    | MarkdownPublisher
    | HtmlPublisher,
    Field(discriminator="type"),
]


class RedactSettings(BaseModel):
    """Extra redaction inputs (the built-in rules always apply)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: environment variables whose values are secrets wherever they appear
    env: list[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(
        default_factory=list
    )


class PublishersConfig(BaseModel):
    """The ``chaosguard`` block of the settings (only ``publishers`` and ``redact`` are read
    here)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    publishers: list[PublisherSpec] = Field(default_factory=list)
    redact: RedactSettings = Field(default_factory=RedactSettings)


def _one_line(exc: ValidationError, prefix: str) -> InvalidArgument:
    err = exc.errors(include_url=False)[0]
    loc = [str(p) for p in err.get("loc", ())]
    loc = [p for i, p in enumerate(loc) if not (p in _TAGS and i > 0 and loc[i - 1].isdigit())]
    ctx, kind, msg = err.get("ctx") or {}, err.get("type", ""), str(err.get("msg", "invalid value"))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("type")
        tags = ", ".join(sorted(_TAGS))
        msg = (
            f"expected one of {tags} (got {str(ctx.get('tag'))[:40]!r})"
            if kind == "union_tag_invalid"
            else f"required field missing (one of {tags})"
        )
    elif kind == "missing":
        msg = "required field missing"
    elif kind == "extra_forbidden":
        msg = "unknown field"
    else:
        msg = msg.removeprefix("Value error, ").replace("Input should be", "must be")
        bound = _BOUNDS.get(kind)
        if bound and bound[0] in ctx:
            msg = f"must be {bound[1]} {ctx[bound[0]]}"
        if kind != "value_error" and "input" in err and not isinstance(err["input"], dict | list):
            msg = f"{msg} (got {str(err['input'])[:40]!r})"
    path = ".".join(loc)
    field = prefix + path if prefix.endswith(":") else ".".join(p for p in (prefix, path) if p)
    return InvalidArgument(field or prefix or "publishers", " ".join(msg.split()))


def parse_config(data: Any, where: str = "chaosguard") -> PublishersConfig:
    """Validate one document (a mapping with ``publishers``/``redact``, or a bare list of
    publishers)."""
    if isinstance(data, list):
        data = {"publishers": data}
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidArgument(
            where, f"expected a mapping with 'publishers' (got {type(data).__name__})"
        )
    try:
        return PublishersConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise _one_line(exc, where) from None
    except RecursionError:
        raise InvalidArgument(where, "nested too deeply") from None


def _from_file(path: str) -> PublishersConfig:
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InvalidArgument(ENV_VAR, f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidArgument(ENV_VAR, f"{path} is not valid YAML{at}") from None
    if isinstance(data, Mapping) and "chaosguard" in data and "publishers" not in data:
        data = data["chaosguard"]
    return parse_config(data, where=f"{path}:")


def load_config(
    settings: Mapping[str, Any] | None, env: Mapping[str, str] | None = None
) -> PublishersConfig | None:
    """The publishers configured in ``settings['chaosguard']`` plus ``$CHAOSGUARD_PUBLISHERS``;
    None if neither."""
    env = os.environ if env is None else env
    parts: list[PublishersConfig] = []
    block = settings.get(SETTINGS_KEY) if isinstance(settings, Mapping) else None
    if block is not None:
        if not isinstance(block, Mapping):
            raise InvalidArgument(SETTINGS_KEY, f"expected a mapping (got {type(block).__name__})")
        if "publishers" in block or "redact" in block:
            parts.append(parse_config(block, where=SETTINGS_KEY))
    if env.get(ENV_VAR):
        parts.append(_from_file(env[ENV_VAR]))
    if not parts:
        return None
    return PublishersConfig(
        publishers=[p for c in parts for p in c.publishers],
        redact=RedactSettings(env=[e for c in parts for e in c.redact.env]),
    )
