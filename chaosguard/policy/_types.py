"""Validated scalar types of the policy model: names, regexes, times of day, time zones, dates.
The checks themselves are plain functions in :mod:`chaosguard.policy._checks`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from chaosguard.policy._checks import (
    DAY_NAMES,
    _action_name,
    _date_or_datetime,
    _days,
    _env_name,
    _file_path,
    _module_prefix,
    _namespace,
    _regex,
    _selector,
    _time_of_day,
    _time_zone,
    _url,
    as_tuple,
    iso_text,
    minutes,
    zone,
)

__all__ = [
    "DAY_NAMES",
    "ActionName",
    "DateOrDateTime",
    "Days",
    "EnvName",
    "FilePath",
    "HttpUrl",
    "ModulePrefix",
    "Namespace",
    "Regex",
    "Selector",
    "TimeOfDay",
    "TimeZoneName",
    "as_tuple",
    "minutes",
    "zone",
]


Namespace = Annotated[str, AfterValidator(_namespace)]
Selector = Annotated[str, AfterValidator(_selector)]
Regex = Annotated[str, AfterValidator(_regex)]
EnvName = Annotated[str, AfterValidator(_env_name)]
HttpUrl = Annotated[str, AfterValidator(_url)]
FilePath = Annotated[str, AfterValidator(_file_path)]
ModulePrefix = Annotated[str, AfterValidator(_module_prefix)]
ActionName = Annotated[str, AfterValidator(_action_name)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
TimeOfDay = Annotated[
    str,
    BeforeValidator(_time_of_day),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}$",
            "description": "time of day, 00:00 to 24:00",
        }
    ),
]
Days = Annotated[
    tuple[str, ...],
    BeforeValidator(_days),
    WithJsonSchema(
        {
            "type": "array",
            "items": {
                "type": "string",
                "pattern": "^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$",
            },
        }
    ),
]
DateOrDateTime = Annotated[
    date | datetime,
    PlainValidator(_date_or_datetime),
    PlainSerializer(iso_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}),
]
