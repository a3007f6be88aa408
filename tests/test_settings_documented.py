"""Every field of screening/settings.py's Settings names its keys, and every key (DEFAULTS in
screening/web/config.py is built from them) has a row in README's settings table that names it
and gives its default, so that the table cannot fall behind the code again."""

from __future__ import annotations

import re

import pytest

from screening.settings import fields_without_keys, setting_keys
from screening.web.config import DEFAULTS
from tools.servers import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
TABLE_HEAD = "| key | default | meaning |"


def settings_table() -> dict[str, str]:
    """Each documented key -> the default column of its row (a row may name several keys)."""
    start = README.index(TABLE_HEAD)
    rows = []
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    table = {}
    for row in rows:
        keys, default = row.split("|")[1:3]
        for key in re.findall(r"`([A-Z][A-Z0-9_]+)`", keys):
            table[key] = default.strip()
    return table


def written(value: object) -> tuple[str, ...]:
    """The ways the table may write a default value."""
    if value is True:
        return ("on",)
    if value is False:
        return ("off",)
    if value is None:
        return ("none", "on, except")  # required, or worked out from another setting
    if value == "":
        return ("empty",)
    return (str(value),)


TABLE = settings_table()


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_setting_is_in_the_readme_table_with_its_default(key):
    assert key in TABLE, f"README's settings table has no row for {key}: add one (name, default)"
    assert any(form in TABLE[key] for form in written(DEFAULTS[key])), (
        f"README gives {key}'s default as {TABLE[key]!r}; the code's is {DEFAULTS[key]!r}"
    )


def test_every_settings_field_names_the_keys_it_reads():
    assert fields_without_keys() == []


@pytest.mark.parametrize("key", sorted(setting_keys()))
def test_every_settings_field_has_a_readme_row(key):
    assert key in DEFAULTS and key in TABLE, f"README's settings table has no row for {key}"
