from __future__ import annotations

from pathlib import Path

import pytest

from loyalist.config import Settings
from loyalist.errors import ConfigError


def test_defaults_and_env():
    assert Settings.from_env({}).workspace == Path("loyalist-data")
    s = Settings.from_env({"LOYALIST_WORKSPACE": "/tmp/w", "LOYALIST_PROGRESS": "no", "HOME": "x"})
    assert (s.workspace, s.progress) == (Path("/tmp/w"), False)


@pytest.mark.parametrize(("env", "key"), [
    ({"LOYALIST_PROGRES": "1"}, "LOYALIST_PROGRES"),
    ({"LOYALIST_PROGRESS": "sometimes"}, "LOYALIST_PROGRESS"),
    ({"LOYALIST_WORKSPACE": " "}, "LOYALIST_WORKSPACE"),
])
def test_bad_setting_names_key_and_value(env, key):
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.details["key"] == key
    assert key in str(info.value)
