"""Load the policy (file + experiment block, merged) and the guards of an experiment.

Every problem becomes ONE :class:`~chaosguard.errors.InvalidArgument` naming the field path, e.g.
``invalid argument 'policy.windows.0.timezone': unknown time zone 'Mars/Base' (in policy.yaml)``;
nothing here lets another exception out for bad input.

One resolution (:func:`resolve_policy`), used by the run, ``chaos guard check`` and game days: the
**operator's** policy is the file the operator named (global control settings, ``--control-file``,
``chaos guard check --policy``), else ``$CHAOSGUARD_POLICY``, else the defaults (``Policy()``);
everything the experiment says — a ``policy_file`` of its own (its chaosguard control's
arguments) and its extension block — is merged into it stricter-wins and can never loosen it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chaosguard.compiled.engine import resolve
from chaosguard.compiled.models import MODELS, validate
from chaosguard.errors import InvalidArgument
from chaosguard.policy.merge import merge
from chaosguard.policy.model_rules import EXTENSION_NAME
from chaosguard.validation import invalid_argument

if TYPE_CHECKING:  # at run time the values are compiled instances (pydantic's only as a fallback)
    from chaosguard.policy.model import ChaosguardBlock, Policy
    from chaosguard.slo.spec import GuardSpec

__all__ = [
    "ENV_VAR",
    "default_policy",
    "MAX_DOCUMENT_BYTES",
    "experiment_policy_files",
    "find_block",
    "load_guards",
    "load_policy",
    "parse_policy",
    "policy_file_path",
    "read_document",
    "resolve_policy",
]

ENV_VAR = "CHAOSGUARD_POLICY"
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
BLOCK_FIELD = f"extensions.{EXTENSION_NAME}"
_CONTROL_MODULE = "chaosguard"


def _parse_text(text: str, path: str, field: str) -> Any:
    if path.lower().endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArgument(
                field,
                f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            ) from None
        except (ValueError, RecursionError) as exc:
            raise InvalidArgument(field, f"{path} is not valid JSON: {exc}") from None
    import yaml  # a JSON policy (and a run without a YAML one) never pays for it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise InvalidArgument(field, f"{path} is not valid YAML: {problem}{at}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # e.g. a date 2026-13-45
        raise InvalidArgument(field, f"{path} is not valid YAML: {exc}") from None


def read_document(path: str, field: str) -> Any:
    """Read and parse a YAML or JSON file (JSON when it ends in ``.json``);
    ``InvalidArgument(field)`` for an unreadable file, a parse error or an empty document."""
    target = Path(path).expanduser()
    try:
        with target.open("rb") as fh:
            raw = fh.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise InvalidArgument(field, f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL in the path
        raise InvalidArgument(field, f"cannot read {path!r}: {exc}") from None
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidArgument(
            field, f"{path} is larger than {MAX_DOCUMENT_BYTES // 1024 // 1024} MiB"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(field, f"{path} is not UTF-8 text (byte {exc.start})") from None
    data = _parse_text(text, path, field)
    if data is None:
        raise InvalidArgument(field, f"{path} is empty")
    return data


def policy_file_path(policy_file: str | None) -> str | None:
    """The policy file to use: the argument, else ``$CHAOSGUARD_POLICY``, else None."""
    return policy_file or os.environ.get(ENV_VAR) or None


def _validated(name: str, data: Mapping[str, Any], field: str, where: str = "") -> Any:
    """``data`` validated as the model ``name`` of :data:`~chaosguard.compiled.models.MODELS`
    (compiled when the engine is sure, else pydantic's); ``InvalidArgument(field.<path>)``."""
    try:
        return validate(name, dict(data))
    except RecursionError:
        raise InvalidArgument(field, "nested too deeply") from None
    except ValueError as exc:
        from pydantic import ValidationError  # loaded already: only the fallback raises one

        if not isinstance(exc, ValidationError):
            raise
        raise invalid_argument(exc, field, resolve(MODELS[name]), where) from None


def default_policy() -> Policy:
    """The default policy (``Policy()``), what a run obeys when no policy file is named."""
    return _validated("Policy", {}, "policy")


def parse_policy(data: Any, prefix: str = "policy", where: str = "") -> Policy:
    """Validate a policy document (a mapping); ``InvalidArgument`` naming ``prefix.<path>``."""
    if not isinstance(data, Mapping):
        tail = f" ({where})" if where else ""
        raise InvalidArgument(prefix, f"expected a mapping, got {type(data).__name__}{tail}")
    return _validated("Policy", data, prefix, where)


def find_block(experiment: Mapping[str, Any] | None) -> ChaosguardBlock | None:
    """The experiment's ``extensions`` entry named ``chaosguard``, validated (None when absent)."""
    if not isinstance(experiment, Mapping):
        return None
    extensions = experiment.get("extensions")
    if extensions is None:
        return None
    if not isinstance(extensions, list):
        raise InvalidArgument("extensions", f"expected a list, got {type(extensions).__name__}")
    found = [e for e in extensions if isinstance(e, Mapping) and e.get("name") == EXTENSION_NAME]
    if len(found) > 1:
        raise InvalidArgument(
            BLOCK_FIELD,
            f"{len(found)} extensions are named '{EXTENSION_NAME}'; merge them into one",
        )
    if not found:
        return None
    return _validated("ChaosguardBlock", found[0], BLOCK_FIELD)


def experiment_policy_files(experiment: Mapping[str, Any] | None) -> list[str]:
    """The ``policy_file`` arguments of the experiment's own chaosguard controls (its ``controls``
    entries whose provider module is ``chaosguard`` or ``chaosguard.*``), in order, unique."""
    controls = experiment.get("controls") if isinstance(experiment, Mapping) else None
    found: list[str] = []
    for control in controls if isinstance(controls, list) else []:
        provider = control.get("provider") if isinstance(control, Mapping) else None
        if not isinstance(provider, Mapping):
            continue
        module = provider.get("module")
        if not isinstance(module, str) or not (
            module == _CONTROL_MODULE or module.startswith(_CONTROL_MODULE + ".")
        ):
            continue
        arguments = provider.get("arguments")
        path = arguments.get("policy_file") if isinstance(arguments, Mapping) else None
        if isinstance(path, str) and path.strip() and path not in found:
            found.append(path)
    return found


def _read_policy(path: str, field: str) -> Policy:
    return parse_policy(read_document(path, field), "policy", f"in {path}")


def resolve_policy(
    operator_policy_file: str | None,
    experiment: Mapping[str, Any] | None,
    experiment_policy_file: str | None = None,
) -> Policy:
    """The effective policy of a run: the operator's, made stricter by the experiment.

    1. the operator's policy: ``operator_policy_file`` if given, else ``$CHAOSGUARD_POLICY``,
       else the defaults — it counts with every field, defaults included;
    2. the experiment's own policy files, each merged stricter-wins (only the fields they write
       count): ``experiment_policy_file`` and the ``policy_file`` of every chaosguard control the
       experiment itself declares (:func:`experiment_policy_files`);
    3. the experiment's extension block ``extensions[name=chaosguard].policy``, likewise.

    Nothing the experiment says can loosen the operator's policy (:func:`~.merge.merge`).

    :param operator_policy_file: the operator's file (global control settings, ``--control-file``,
        ``chaos guard check --policy``, a game-day suite's ``policy``); never a path the
        experiment names.
    :param experiment: the experiment document (None when there is none).
    :param experiment_policy_file: a ``policy_file`` the experiment's control arguments name, when
        the caller has it apart from the document (e.g. after ``${...}`` substitution).
    :raises InvalidArgument: one line naming ``policy_file`` (unreadable operator file),
        ``experiment.policy_file`` (unreadable experiment file), ``policy.<path>`` (content) or
        ``extensions.chaosguard.policy.<path>`` (experiment block).
    """
    path = policy_file_path(operator_policy_file)
    policy = _read_policy(path, "policy_file") if path is not None else default_policy()
    own = [experiment_policy_file] if experiment_policy_file else []
    for extra in dict.fromkeys([*own, *experiment_policy_files(experiment)]):
        policy = merge(policy, _read_policy(extra, "experiment.policy_file"))
    block = find_block(experiment)
    return merge(policy, block.policy if block is not None else None)


def load_policy(policy_file: str | None, experiment: Mapping[str, Any] | None) -> Policy:
    """:func:`resolve_policy` with ``policy_file`` as the operator's file (kept for callers).

    :param policy_file: the operator's YAML/JSON policy file; None or "" → ``$CHAOSGUARD_POLICY``
        → defaults.
    :param experiment: the experiment document; its own policy files and block are merged, the
        stricter value winning; None when there is none.
    """
    return resolve_policy(policy_file, experiment)


def load_guards(experiment: Mapping[str, Any] | None) -> list[GuardSpec]:
    """The guards declared in the experiment's chaosguard block (``[]`` when none)."""
    block = find_block(experiment)
    return list(block.guards) if block is not None else []
