"""Time windows and freezes across time zones and daylight-saving changes, at a given ``now``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chaosguard.errors import InvalidArgument
from chaosguard.policy import Policy, frozen, next_opening, window_open

PARIS_OFFICE = Policy.model_validate(
    {
        "windows": [
            {"days": ["mon-fri"], "start": "09:00", "end": "17:00", "timezone": "Europe/Paris"}
        ]
    }
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        ("2026-03-27T07:59:59+00:00", False),  # Fri, CET (UTC+1): 08:59:59 in Paris
        ("2026-03-27T08:00:00+00:00", True),  # 09:00 in Paris
        ("2026-03-27T15:59:00+00:00", True),  # 16:59
        ("2026-03-27T16:00:00+00:00", False),  # 17:00 (end excluded)
        ("2026-03-30T07:00:00+00:00", True),  # Mon after the change to CEST (UTC+2): 09:00 in Paris
        (
            "2026-03-30T06:30:00+00:00",
            False,
        ),  # 08:30 in Paris (the same UTC time was 07:30 in winter)
        ("2026-03-30T15:00:00+00:00", False),  # 17:00 CEST
        ("2026-03-28T10:00:00+00:00", False),  # Saturday
        ("2026-10-26T08:00:00+00:00", True),  # Mon after the change back to CET: 09:00
        ("2026-10-23T07:00:00+00:00", True),  # Fri before it, CEST: 09:00
        ("2026-10-23T15:00:00+00:00", False),  # 17:00 CEST
    ],
)
def test_window_follows_local_time_through_dst(when: str, is_open: bool) -> None:
    ok, reason = window_open(PARIS_OFFICE, at(when))
    assert ok is is_open, reason
    assert "\n" not in reason


def test_the_same_instant_is_judged_in_each_windows_own_zone() -> None:
    policy = Policy.model_validate(
        {"windows": [{"days": ["mon"], "start": "09:00", "end": "10:00", "timezone": "Asia/Tokyo"}]}
    )
    # Monday 09:30 in Tokyo is Monday 00:30 UTC and Sunday 20:30 in New York
    now = datetime(2026, 6, 8, 0, 30, tzinfo=UTC)
    assert window_open(policy, now)[0]
    assert window_open(policy, now.astimezone(ZoneInfo("America/New_York")))[0]


def test_no_windows_means_always_open_and_reasons_say_which_window() -> None:
    assert window_open(Policy(), at("2026-01-01T03:00+00:00")) == (
        True,
        "no time windows in the policy: always open",
    )
    ok, reason = window_open(PARIS_OFFICE, at("2026-03-27T10:00+00:00"))
    assert ok and reason == "inside window mon-fri 09:00-17:00 Europe/Paris"


def test_closed_window_names_the_next_opening() -> None:
    ok, reason = window_open(PARIS_OFFICE, at("2026-03-28T10:00:00+00:00"))  # Saturday
    assert not ok
    assert "next opening 2026-03-30T07:00+00:00" in reason  # Monday 09:00 CEST
    assert next_opening(PARIS_OFFICE, at("2026-03-27T16:30:00+00:00")) == at(
        "2026-03-30T07:00:00+00:00"
    )


def test_next_opening_of_an_intersection_across_zones() -> None:
    policy = Policy.model_validate(
        {
            "windows": [
                {
                    "all_of": [
                        {
                            "days": ["mon-fri"],
                            "start": "09:00",
                            "end": "17:00",
                            "timezone": "Europe/Paris",
                        },
                        {
                            "days": ["mon-fri"],
                            "start": "09:00",
                            "end": "17:00",
                            "timezone": "America/New_York",
                        },
                    ]
                }
            ]
        }
    )
    # On 2026-03-16 New York is already on EDT (UTC-4), Paris still on CET (UTC+1):
    # overlap 13:00-16:00 UTC
    assert next_opening(policy, at("2026-03-16T00:00+00:00")) == at("2026-03-16T13:00+00:00")
    assert window_open(policy, at("2026-03-16T15:59+00:00"))[0]
    assert not window_open(policy, at("2026-03-16T16:00+00:00"))[0]
    never = Policy.model_validate(
        {
            "windows": [
                {
                    "all_of": [
                        {"start": "09:00", "end": "10:00", "timezone": "UTC"},
                        {"start": "11:00", "end": "12:00"},
                    ]
                }
            ]
        }
    )
    assert next_opening(never, at("2026-03-16T00:00+00:00")) is None


def test_window_edges_midnight_and_minutes_from_yaml() -> None:
    policy = Policy.model_validate(
        {
            "windows": [
                {"days": "sat-sun", "start": "22:00", "end": "24:00"},
                {"days": ["sun-mon"], "start": 0, "end": 360},
            ]
        }
    )
    assert (
        policy.model_dump()["windows"][1]["end"] == "06:00"
    )  # YAML 1.1 reads an unquoted 6:00 as 360
    assert window_open(policy, at("2026-03-29T23:59:59+00:00"))[0]  # Sunday night
    assert window_open(policy, at("2026-03-30T00:00:00+00:00"))[0]  # Monday 00:00
    assert not window_open(policy, at("2026-03-30T06:00:00+00:00"))[0]


def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="'now'"):
        window_open(PARIS_OFFICE, datetime(2026, 3, 27, 10, 0))


FREEZE = Policy.model_validate(
    {
        "freeze": [
            {
                "start": "2026-12-19",
                "end": "2027-01-03",
                "timezone": "Europe/Paris",
                "reason": "holidays",
            },
            {
                "start": "2026-06-01T18:00",
                "end": "2026-06-02T06:00",
                "timezone": "America/New_York",
                "reason": "migration",
            },
            {"start": "2026-09-01T10:00:00+02:00", "end": "2026-09-01T12:00:00+02:00"},
        ]
    }
)


@pytest.mark.parametrize(
    ("when", "is_frozen"),
    [
        ("2026-12-18T22:59:59+00:00", False),  # 23:59:59 in Paris on the 18th
        ("2026-12-18T23:00:00+00:00", True),  # 00:00 in Paris on the 19th
        ("2027-01-03T22:59:00+00:00", True),  # end date is included: all of Jan 3 in Paris
        ("2027-01-03T23:00:00+00:00", False),
        ("2026-06-01T21:59:00+00:00", False),  # 17:59 EDT
        ("2026-06-01T22:00:00+00:00", True),  # 18:00 EDT
        ("2026-06-02T09:59:00+00:00", True),  # 05:59 EDT
        ("2026-06-02T10:00:00+00:00", False),  # 06:00 EDT: end instant excluded
        ("2026-09-01T08:00:00+00:00", True),  # explicit offsets win over the timezone field
        ("2026-09-01T10:00:00+00:00", False),
    ],
)
def test_freeze(when: str, is_frozen: bool) -> None:
    result, reason = frozen(FREEZE, at(when))
    assert result is is_frozen, reason
    assert reason.startswith("frozen from") if is_frozen else reason == "no freeze in force"


def test_no_freeze() -> None:
    assert frozen(Policy(), at("2026-12-24T12:00+00:00")) == (
        False,
        "no freeze periods in the policy",
    )
