"""Packaging and project-level promises: cold path without torch, wheel contents, CI = README."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_help_does_not_import_torch_or_numpy():
    mods = _modules_after(
        "import sys\nfrom hwrender.cli import app\n"
        "try:\n    app(['--help'], prog_name='hwrender')\nexcept SystemExit:\n    pass")
    assert "torch" not in mods
    assert "numpy" not in mods
    assert "huggingface_hub" not in mods


def test_help_subprocess_lists_commands():
    out = subprocess.run([sys.executable, "-m", "hwrender", "--help"], capture_output=True,
                         text=True, check=True)
    for cmd in ("write", "generators", "weights"):
        assert cmd in out.stdout


def test_layout_imports_no_torch_numpy_or_pil():
    mods = _modules_after("import hwrender.layout")
    assert not {"torch", "numpy", "PIL"} & mods


def test_listing_generators_does_not_import_torch():
    mods = _modules_after(
        "from hwrender.registry import Registry\n"
        "r = Registry.from_entry_points()\n"
        "[s.weights_status() for s in r.specs()]")
    assert "torch" not in mods


def test_version_matches_pyproject():
    import hwrender

    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{hwrender.__version__}"' in pyproject
    out = subprocess.run([sys.executable, "-m", "hwrender", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"hwrender {hwrender.__version__}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    m = re.search(r'^(pip install -e "\.\[test\]" && python -m pytest.*)$', ci, re.M)
    assert m, ".ci/run must run the README's test command"
    assert m.group(1) in readme


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (whl,) = out.glob("hwrender-*.whl")
    return zipfile.ZipFile(whl)


def test_wheel_ships_core_plugins_font_and_weights(wheel):
    names = set(wheel.namelist())
    assert "hwrender/cli/__init__.py" in names
    assert "hwrender_plugins/font/fonts/Caveat-Regular.ttf" in names
    assert "hwrender_plugins/font/fonts/OFL-Caveat.txt" in names
    for data in ("aruco_5x5_1000.json", "prompt-latin.ttf", "prompt-cjk.otf", "OFL-NotoSansCJK.txt"):
        assert f"hwrender/sheets/{data}" in names  # the templates draw from them
    assert "hwrender_weights/__init__.py" in names
    # every package folder in the repository made it into the wheel
    for base, pkg in (("hwrender", "hwrender"), ("plugins", "hwrender_plugins"),
                      ("weights", "hwrender_weights")):
        for init in (ROOT / base).rglob("__init__.py"):
            rel = init.relative_to(ROOT / base).as_posix()
            assert f"{pkg}/{rel}" in names, f"{base}/{rel} is missing from the wheel"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    text = wheel.read(entry).decode()
    assert "[hwrender.generators]" in text and "hwrender_plugins.font:register" in text
    # checkpoints and scratch never ship
    assert not any(n.endswith((".pt", ".ckpt", ".pth")) for n in names)


def test_ci_checks_a_plain_install_runs_the_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    plain = (ROOT / ".ci" / "plain-install").read_text()
    assert "bash .ci/plain-install" in ci
    install = re.search(r'pip install --quiet "\$repo"', plain)
    assert install and "[test]" not in plain  # no extras
    for command in ("for model in latin emnist hangul", "hwrender eval latin --help", "train hangul --data"):
        assert command in plain
