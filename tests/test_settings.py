"""Settings: every one is documented, typed and validated."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name):
    documented = set(re.findall(r"`(GRADCAST_[A-Z_]+)`", DOC.read_text()))
    assert f"GRADCAST_{name.upper()}" in documented


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_a_reason(name):
    assert Settings.model_fields[name].description


def test_a_comparison_of_four_always_fits():
    assert Settings().max_running_runs >= 4


def test_out_of_range_is_refused_with_the_field():
    with pytest.raises(ValidationError) as err:
        Settings(port=0)
    assert err.value.errors()[0]["loc"] == ("port",)


def test_token_is_secret_in_repr():
    s = Settings(presenter_token="hunter2-very-secret")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
