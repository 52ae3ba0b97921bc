"""The server's own Streamlit settings that its cost per page load depends on (issue 14)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_streamlit_does_not_run_a_full_garbage_collection_after_every_page_run():
    # Streamlit's default (runner.postScriptGC = true) is a gc.collect(2) after each
    # script run: about 60% of this app's server CPU per page load (py-spy, 1,000,000
    # complaints). Python's generational collector still runs on its own.
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert settings["runner"]["postScriptGC"] is False
