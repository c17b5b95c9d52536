"""README.md stays true: its pictures are the script's output and its commands run.

The pictures are not redrawn here (a minute of CPU); the test checks that every picture README
shows is one that scripts/make_docs_images.py draws, from the very command README prints with it.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hwrender.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAX_PICTURE_BYTES = 300_000


def _pictures_script():
    spec = importlib.util.spec_from_file_location("make_docs_images",
                                                  ROOT / "scripts" / "make_docs_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flat(text: str) -> str:
    return " ".join(text.replace("*", " ").split())


def test_every_readme_picture_exists_is_small_and_is_drawn_by_the_script():
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert shown, "README shows no pictures?"
    script = _pictures_script()
    # OWN_HAND: drawn by the walkthrough; SCRIPTED: by another script
    pictures = {**script.PICTURES, **script.OWN_HAND, **script.SCRIPTED}
    for path in shown:
        file = ROOT / path
        assert file.is_file(), f"README shows {path}, which does not exist"
        assert file.stat().st_size < MAX_PICTURE_BYTES, f"{path} is {file.stat().st_size} bytes"
        assert path in pictures, f"scripts/make_docs_images.py does not draw {path}"
    assert set(pictures) <= set(shown), "the script draws pictures README does not show"


def test_readme_prints_each_pictures_command():
    readme = _flat(README)
    script = _pictures_script()
    for path, command in {**script.PICTURES, **script.SCRIPTED}.items():
        assert _flat(command) in readme, f"README does not show the command behind {path}"


def test_pictures_script_points_the_output_at_the_picture():
    script = _pictures_script()
    for command in script.PICTURES.values():
        args = shlex.split(command)
        assert args[:2] == ["hwrender", "write"]
        assert script.output_arg(args) < len(args)
        assert "--seed" in args  # deterministic pictures


def _readme_commands() -> list[str]:
    """The README's hwrender command lines (the install line is what .ci/plain-install does)."""
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    return [line for block in blocks for line in block.splitlines()
            if line.startswith("hwrender ") or (line.startswith("cat ") and "| hwrender " in line)]


# Commands that need a training run, a download or minutes: only their parsing is checked
# (`--help` after the arguments still rejects an unknown option or model).
def _heavy(args: list[str]) -> bool:
    # the own-handwriting walkthrough needs a photo and a fitted style (scripts/make_docs_images.py
    # plays it whole, and tests/test_own_hand_e2e.py on tiny models); a font export takes a minute
    # (tests/test_export_font.py exports small ones)
    if args[1] in ("extract", "export-font") or (args[1] == "styles" and args[2:3] != ["list"]) \
            or "my-hand" in args:
        return True
    return (args[1] in ("train", "eval", "fonts") and len(args) > 2) or \
        any(a.startswith("runs/") for a in args) or args[1:3] in (["weights", "pull"],
                                                                  ["weights", "push"])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readme")
    (tmp / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "letter.txt", tmp / "docs" / "letter.txt")
    for name in ("notes.txt", "essay.txt", "book.txt"):
        (tmp / name).write_text("A short note.\n\nWith two paragraphs.\n", encoding="utf-8")
    return tmp


def test_readme_lists_its_commands():
    commands = _readme_commands()
    assert any(c.startswith("hwrender write") for c in commands)
    assert any(c.startswith("cat ") for c in commands)


@pytest.mark.parametrize("line", _readme_commands())
def test_readme_command_runs(line, workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tokens = shlex.split(line, comments=True)
    stdin = stdout_to = None
    if "|" in tokens:  # cat FILE | hwrender ...
        head, tokens = tokens[:tokens.index("|")], tokens[tokens.index("|") + 1:]
        assert head[0] == "cat", line
        stdin = Path(head[1]).read_text(encoding="utf-8")
    if ">" in tokens:
        tokens, stdout_to = tokens[:tokens.index(">")], tokens[tokens.index(">") + 1]
    args = tokens[1:]
    if _heavy(tokens):
        args = [*args, "--help"]
    elif tokens[1] == "write":
        args = [*args, "--dpi", "30"]  # the last --dpi wins: same command, a fraction of the work
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exit_code == 0, (line, result.stdout[-2000:], result.stderr[-2000:])
    if stdout_to:
        assert result.stdout_bytes.startswith(b"%PDF")
