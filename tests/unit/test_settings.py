"""desk.yml loading and validation (and that the facts file matches POLICY §1, §4, §6)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from support_rules import settings
from support_rules.settings import ConfigError, DeskConfig, get_config, load_config, parse_config
from tests.unit.helpers import DESK_YML


def write_yaml(path: Path, raw: Any) -> Path:
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


# --- the facts file -------------------------------------------------------------------


def test_desk_yml_matches_policy(config: DeskConfig):
    assert config.timezone.key == "Asia/Tokyo"
    assert (config.opens_at, config.closes_at) == (dt.time(9, 0), dt.time(17, 30))
    assert config.recurring_closing_days == {(12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3)}
    assert config.extra_closing_days == frozenset()
    assert config.open_exceptions == frozenset()
    assert config.tax_rate_on(dt.date(2026, 11, 24)) == Decimal("0.10")
    assert (config.price_on_demand, config.price_pack5, config.pack5_incidents) == (49900, 199900, 5)
    assert config.contract_center_phone == "0120-17-0196"
    assert config.contract_center_fax == "0120-74-0196"
    assert config.severity_a_phone == "0120-17-0196"
    assert set(config.redirect_names) == {"premier", "consulting", "oem_vendor", "consumer_support"}
    assert all(config.redirect_names.values())
    assert config.max_impact_follow_ups == 2


def test_default_path_is_the_repository_desk_yml():
    assert settings.DEFAULT_PATH == DESK_YML
    assert load_config() == parse_config(yaml.safe_load(DESK_YML.read_text(encoding="utf-8")))


def test_config_is_immutable(config: DeskConfig):
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.price_on_demand = 1  # type: ignore[misc]


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


# --- missing and malformed values -----------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ("business_hours",),
        ("business_hours", "start"),
        ("business_hours", "end"),
        ("prices",),
        ("prices", "on_demand"),
        ("prices", "pack5"),
        ("contact",),
        ("contact", "contract_center_phone"),
        ("contact", "contract_center_fax"),
        ("contact", "severity_a_phone"),
        ("tax_rates",),
    ],
    ids=".".join,
)
def test_missing_key_is_a_config_error(raw: dict[str, Any], path: tuple[str, ...]):
    parent = raw
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    with pytest.raises(ConfigError, match=path[-1]):
        parse_config(raw)


def test_missing_tax_rate_field_is_a_config_error(raw: dict[str, Any]):
    raw["tax_rates"] = [{"since": "2019-10-01"}]
    with pytest.raises(ConfigError, match="rate"):
        parse_config(raw)


def test_optional_sections_have_defaults(raw: dict[str, Any]):
    for key in ("closing_days", "redirects", "conversation", "pack5_incidents", "timezone"):
        del raw[key]
    config = parse_config(raw)
    assert config.recurring_closing_days == frozenset()
    assert config.redirect_names == {}
    assert config.max_impact_follow_ups == 2
    assert config.pack5_incidents == 5
    assert config.timezone.key == "Asia/Tokyo"


@pytest.mark.parametrize("bad", ["9時", "25:00", "09:60", "09:00:00", "0900", "", "ab:cd", None])
@pytest.mark.parametrize("which", ["start", "end"])
def test_bad_business_hours_are_config_errors(raw: dict[str, Any], which: str, bad):
    raw["business_hours"][which] = bad
    with pytest.raises(ConfigError, match=re.escape(f"business_hours.{which}")):
        parse_config(raw)


@pytest.mark.parametrize(("start", "end"), [("17:30", "17:30"), ("18:00", "09:00"), ("09:01", "09:00")])
def test_start_not_before_end_is_a_config_error(raw: dict[str, Any], start: str, end: str):
    raw["business_hours"] = {"start": start, "end": end}
    with pytest.raises(ConfigError, match="before"):
        parse_config(raw)


def test_one_minute_of_business_is_accepted(raw: dict[str, Any]):
    raw["business_hours"] = {"start": "09:00", "end": "09:01"}
    config = parse_config(raw)
    assert (config.opens_at, config.closes_at) == (dt.time(9, 0), dt.time(9, 1))


def test_empty_tax_rates_is_a_config_error(raw: dict[str, Any]):
    raw["tax_rates"] = []
    with pytest.raises(ConfigError, match="tax_rates"):
        parse_config(raw)


@pytest.mark.parametrize("bad", ["2019/10/01", "2019-13-01", "yesterday"])
def test_bad_tax_rate_date_is_a_config_error(raw: dict[str, Any], bad: str):
    raw["tax_rates"] = [{"since": bad, "rate": "0.10"}]
    with pytest.raises(ConfigError, match=re.escape("tax_rates.since")):
        parse_config(raw)


@pytest.mark.parametrize("bad", ["12/29", "13-01", "02-30", "xmas", "12-29-2026"])
def test_bad_recurring_closing_day_is_a_config_error(raw: dict[str, Any], bad: str):
    raw["closing_days"]["recurring"] = [bad]
    with pytest.raises(ConfigError, match="recurring"):
        parse_config(raw)


def test_february_29_is_a_valid_recurring_day(raw: dict[str, Any]):
    raw["closing_days"]["recurring"] = ["02-29"]
    assert parse_config(raw).recurring_closing_days == {(2, 29)}


@pytest.mark.parametrize("section", ["extra", "open_exceptions"])
def test_bad_one_off_dates_are_config_errors(raw: dict[str, Any], section: str):
    raw["closing_days"][section] = ["2026-11-31"]
    with pytest.raises(ConfigError, match=section):
        parse_config(raw)


def test_dates_given_as_yaml_dates_are_accepted(raw: dict[str, Any]):
    raw["closing_days"]["extra"] = [dt.date(2026, 11, 25)]
    raw["tax_rates"] = [{"since": dt.date(2019, 10, 1), "rate": 0.1}]
    config = parse_config(raw)
    assert config.extra_closing_days == {dt.date(2026, 11, 25)}
    assert config.tax_rate_on(dt.date(2026, 1, 1)) == Decimal("0.1")


def test_tax_rates_are_sorted_and_chosen_by_day(raw: dict[str, Any]):
    raw["tax_rates"] = [{"since": "2019-10-01", "rate": "0.10"}, {"since": "2014-04-01", "rate": "0.08"}]
    config = parse_config(raw)
    assert [t.since for t in config.tax_rates] == [dt.date(2014, 4, 1), dt.date(2019, 10, 1)]
    assert config.tax_rate_on(dt.date(2019, 9, 30)) == Decimal("0.08")
    assert config.tax_rate_on(dt.date(2019, 10, 1)) == Decimal("0.10")
    with pytest.raises(ConfigError):
        config.tax_rate_on(dt.date(2014, 3, 31))


# --- reading files and DESK_CONFIG ---------------------------------------------------------


def test_load_config_from_explicit_path(tmp_path: Path, raw: dict[str, Any]):
    raw["contact"]["severity_a_phone"] = "0120-00-0000"
    path = write_yaml(tmp_path / "desk.yml", raw)
    assert load_config(path).severity_a_phone == "0120-00-0000"


def test_desk_config_env_var(tmp_path: Path, raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    raw["prices"]["on_demand"] = 59900
    path = write_yaml(tmp_path / "other.yml", raw)
    monkeypatch.setenv("DESK_CONFIG", str(path))
    assert load_config().price_on_demand == 59900
    assert get_config().price_on_demand == 59900


def test_get_config_is_read_once_per_path(tmp_path: Path, raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    first = write_yaml(tmp_path / "first.yml", raw)
    raw["prices"]["pack5"] = 249900
    second = write_yaml(tmp_path / "second.yml", raw)
    monkeypatch.setenv("DESK_CONFIG", str(first))
    a = get_config()
    assert get_config() is a
    monkeypatch.setenv("DESK_CONFIG", str(second))
    b = get_config()
    assert b is not a
    assert (a.price_pack5, b.price_pack5) == (199900, 249900)


def test_get_config_without_env_uses_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DESK_CONFIG", raising=False)
    assert get_config().contract_center_phone == "0120-17-0196"


def test_file_without_a_mapping_is_a_config_error(tmp_path: Path):
    path = tmp_path / "list.yml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path)


def test_missing_file_is_reported(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "absent.yml")
