"""kg.config: one table of settings, read from the environment, documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from kg.config import Settings, checkout, shipped
from kg.errors import ConfigError


def test_every_setting_has_its_default_once_and_is_read_from_its_variable(tmp_path: Path):
    defaults = Settings()
    env = {
        "KG_PORT": "8123",
        "KG_QUERY_TIMEOUT": "2.5",
        "KG_STORE": str(tmp_path / "s"),
        "KG_CORS_ORIGINS": "",
    }
    read = Settings.from_env(env)
    assert (read.port, read.query_timeout, read.store) == (8123, 2.5, tmp_path / "s")
    assert read.cors_origins == defaults.cors_origins  # empty means "not set": the default
    assert read.workers == defaults.workers == Settings.from_env({}).workers


def test_a_malformed_number_is_named():
    with pytest.raises(ConfigError, match="KG_PORT must be an integer"):
        Settings.from_env({"KG_PORT": "eighty"})


def test_secrets_are_never_shown():
    assert Settings(update_token="s3cret").shown("update_token") == "(set)"
    assert Settings().shown("update_token") == ""


def test_in_a_checkout_the_folders_are_the_checkouts():
    assert checkout() == ROOT
    assert shipped("ontology") == ROOT / "ontology"
    assert Settings().store == ROOT / "var" / "store"


def test_the_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") :]
    section = section[: section.index("\n## ", 5)]
    listed = set(re.findall(r"`(KG_[A-Z_]+)`", section))
    assert {env for env, _name, _default in Settings.variables()} <= listed
