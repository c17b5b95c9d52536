"""``hwrender write --help`` lists what the code accepts, read from its tables, without torch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hwrender.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _help_words() -> str:
    out = CliRunner().invoke(app, ["write", "--help"], env={"COLUMNS": "100"}).stdout
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", out).split())


def test_write_help_names_scripts_generators_inks_papers_and_page_names():
    from hwrender.layout import PAGE_SIZES
    from hwrender.registry import default_registry
    from hwrender.render import PAPER_KINDS, page_paths
    from hwrender.render.colors import NAMED_COLORS

    text = _help_words()
    registry = default_registry()
    for spec in registry.specs():
        assert spec.name in text, spec.name
    for script in registry.scripts():
        if script != "*":
            assert script in text, script
    for name in ("blue-black", "ballpoint-blue", "pencil", "cream", "legal-pad"):
        assert name in NAMED_COLORS and name in text, name
    for kind in PAPER_KINDS:
        assert kind in text
    for size in PAGE_SIZES:
        assert size.lower() in text.lower()
    assert ", ".join(page_paths("page.png", 3)) in text
    assert "{n}" in text
    assert "hwrender generators" in text


def test_write_help_does_not_import_torch():
    code = ("import sys\nfrom hwrender.cli import app\n"
            "try:\n    app(['write', '--help'], prog_name='hwrender')\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    assert "Ink colour" in out.stdout
    assert out.stdout.strip().endswith("False")


def test_help_texts_fall_back_when_a_table_fails():
    from hwrender.cli._help import fill_help

    class Param:
        name, help = "ink", "short"

    def broken():
        raise RuntimeError("plugin broke")

    p = Param()
    fill_help([p], {"ink": broken})
    assert p.help == "short"
    fill_help([p], {"ink": lambda: "long"})  # filled once
    assert p.help == "short"
