"""secret(): from the environment, or a file it names, read on each call."""

import pytest

from nebula_plugin import PluginError, secret


def test_from_the_environment(monkeypatch):
    monkeypatch.setenv("NP_T_TOKEN", "abc")
    monkeypatch.setenv("NP_T_TOKEN_FILE", "/nonexistent")
    assert secret("NP_T_TOKEN") == "abc"


def test_from_a_file_read_again_when_it_changes(monkeypatch, tmp_path):
    f = tmp_path / "token"
    f.write_text("one\n")
    monkeypatch.delenv("NP_T_TOKEN", raising=False)
    monkeypatch.setenv("NP_T_TOKEN_FILE", str(f))
    assert secret("NP_T_TOKEN") == "one"
    f.write_text("two")
    assert secret("NP_T_TOKEN") == "two"


def test_missing(monkeypatch, tmp_path):
    monkeypatch.delenv("NP_T_TOKEN", raising=False)
    monkeypatch.delenv("NP_T_TOKEN_FILE", raising=False)
    assert secret("NP_T_TOKEN", "dflt") == "dflt"
    with pytest.raises(PluginError) as e:
        secret("NP_T_TOKEN")
    assert e.value.code == "FAILED_PRECONDITION"
    assert "NP_T_TOKEN_FILE" in e.value.message
    monkeypatch.setenv("NP_T_TOKEN_FILE", str(tmp_path / "absent"))
    with pytest.raises(PluginError):
        secret("NP_T_TOKEN")
