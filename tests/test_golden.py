"""The golden check (scripts/golden.py): every generator and format writes the bytes recorded in
tests/golden/golden.json. A refactor keeps this green; a change meant to alter output records the
new bytes with ``python scripts/golden.py --update`` and says so in its commit."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("golden", ROOT / "scripts" / "golden.py")
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)

RECORDED = json.loads(golden.GOLDEN.read_text())


def test_every_case_is_recorded():
    names = [name for name, _, _ in golden.CASES] + [name for name, _ in golden.CLI_CASES]
    assert sorted(RECORDED) == sorted(names)


@pytest.mark.parametrize("name,text,options", golden.CASES, ids=[c[0] for c in golden.CASES])
def test_output_bytes_are_unchanged(name, text, options):
    assert golden.render(name, text, options) == RECORDED[name], (
        f"{name}: the bytes written changed; if that was meant, run python scripts/golden.py "
        "--update and say so in the commit")


@pytest.mark.parametrize("name,args", golden.CLI_CASES, ids=[c[0] for c in golden.CLI_CASES])
def test_command_output_bytes_are_unchanged(name, args):
    assert golden.run_command(args) == RECORDED[name], (
        f"{name}: the bytes written changed; if that was meant, run python scripts/golden.py "
        "--update and say so in the commit")


def test_golden_writes_float32_whatever_the_cpu(monkeypatch):
    """The glyph styler runs under bfloat16 on a CPU with native bfloat16; the golden check turns
    that off for its writes (and only for them), even for a styler loaded before."""
    from hwrender_plugins.glyph_styler import styler

    monkeypatch.setattr(styler, "_native_bf16", lambda: True)
    monkeypatch.delenv("HWRENDER_BF16", raising=False)
    loaded = styler.GlyphStyler.load()
    assert loaded.bf16
    with golden.float32():
        assert not loaded.bf16
    assert loaded.bf16
