"""``hwrender weights list|pull|verify|push``: the sub-app in-process, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from typer.testing import CliRunner

from hub_standin import HubStandin, point_huggingface_hub_at
from weights_env import use_store
from hwrender import weights
from hwrender.cli.weights import app
from hwrender.errors import UsageError, WeightsError

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO = "hwrender-test/tiny"
REV = "89abcdef0123456789abcdef0123456789abcdef"
runner = CliRunner()


def make_model(folder: Path, name: str) -> None:
    weights.save_model(
        folder, {"w": torch.arange(6.0).reshape(2, 3)}, {"width": 3}, f"# {name}\n", name, REPO, REV
    )


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    """Two models: ``tiny`` bundled in full, ``remote`` with only its manifest (its files are on the Hub)."""
    root = tmp_path / "bundled"
    make_model(root / "tiny", "tiny")
    make_model(tmp_path / "export" / "remote", "remote")
    (root / "remote").mkdir()
    shutil.copy(tmp_path / "export" / "remote" / "manifest.json", root / "remote")
    return use_store(monkeypatch, root, tmp_path / "hf-cache")


@pytest.fixture
def hub(store, tmp_path):
    with HubStandin() as standin:
        standin.add_folder(REPO, REV, tmp_path / "export" / "remote")
        yield standin


def test_list_shows_name_repo_short_revision_and_status(store):
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert set(rows) == {"remote", "tiny"}
    assert REPO in rows["tiny"] and REV[:7] in rows["tiny"] and REV not in rows["tiny"]
    assert rows["tiny"].rstrip().endswith("bundled")
    assert "not downloaded (hwrender weights pull remote)" in rows["remote"]


def test_list_json_is_data_only(store):
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(result.stdout) == [
        {
            "name": "remote",
            "repo_id": REPO,
            "revision": REV,
            "status": "not downloaded (hwrender weights pull remote)",
        },
        {"name": "tiny", "repo_id": REPO, "revision": REV, "status": "bundled"},
    ]


def test_verify_passes_a_good_model_and_fails_a_tampered_one(store):
    result = runner.invoke(app, ["verify", "tiny"])
    assert result.exit_code == 0, result.output
    assert [line.split()[-1] for line in result.stdout.splitlines()[1:]] == ["ok", "ok", "ok"]

    (store / "tiny" / "config.json").write_text(json.dumps({"width": 4}, indent=2, sort_keys=True) + "\n")
    result = runner.invoke(app, ["verify", "tiny"])
    assert result.exit_code != 0
    assert isinstance(result.exception, WeightsError)
    assert "config.json: checksum mismatch" in str(result.exception)
    assert "checksum mismatch" in result.stdout  # the table still shows which file failed


def test_verify_checks_an_explicit_folder(store, tmp_path):
    shutil.copytree(store / "tiny", tmp_path / "mine")
    (tmp_path / "mine" / "model.safetensors").write_bytes(b"\x00" * 64)
    result = runner.invoke(app, ["verify", "tiny", "--weights", str(tmp_path / "mine")])
    assert isinstance(result.exception, WeightsError)
    assert "model.safetensors: corrupt safetensors" in str(result.exception)


def test_unknown_model_is_a_usage_error(store):
    result = runner.invoke(app, ["pull", "nope"])
    assert isinstance(result.exception, UsageError)
    assert "known models: remote, tiny" in str(result.exception)


def test_pull_downloads_from_the_hub_and_prints_the_folder(hub, tmp_path, monkeypatch):
    point_huggingface_hub_at(hub.url, monkeypatch, tmp_path / "hf-home")
    result = runner.invoke(app, ["pull", "remote"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "hf-cache" / "models--hwrender-test--tiny" / "snapshots" / REV
    assert result.stdout == f"{folder}\n"
    assert ("GET", f"/{REPO}/resolve/{REV}/model.safetensors") in hub.requests
    assert weights.model_status("remote") == "cached"


def test_pull_in_a_subprocess_reaches_the_hub_through_hf_endpoint(hub, tmp_path):
    code = "from hwrender.cli.weights import app; app()"
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf-home")}
    run = subprocess.run(
        [sys.executable, "-c", code, "pull", "remote"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{tmp_path / 'hf-cache' / 'models--hwrender-test--tiny' / 'snapshots' / REV}\n"
    assert sorted(hub.resolve_requests()) == sorted(
        (m, f"/{REPO}/resolve/{REV}/{f}")
        for m in ("HEAD", "GET")
        for f in ("README.md", "config.json", "model.safetensors")
    )
    hub.requests.clear()
    run = subprocess.run(
        [sys.executable, "-c", code, "verify", "remote"],
        cwd=REPO_ROOT,
        env={**env, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert hub.requests == []


def test_push_prints_the_commit(store, tmp_path, monkeypatch):
    import huggingface_hub

    uploads = []

    class FakeApi:
        def create_repo(self, repo_id, **kwargs):
            pass

        def upload_folder(self, **kwargs):
            uploads.append(kwargs)
            return SimpleNamespace(oid="e" * 40)

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    folder = tmp_path / "mine"
    shutil.copytree(store / "tiny", folder)
    result = runner.invoke(app, ["push", str(folder), "--repo", "me/mine", "-m", "first"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "e" * 40 + "\n"
    assert uploads[0]["repo_id"] == "me/mine" and uploads[0]["commit_message"] == "first"
    assert json.loads((folder / "manifest.json").read_text())["revision"] == "e" * 40


def test_mounted_under_hwrender_errors_are_one_line_with_exit_codes(store):
    from hwrender.cli import app as hwrender_app

    (store / "tiny" / "README.md").write_text("# TINY\n")  # same size, other bytes
    result = runner.invoke(hwrender_app, ["weights", "verify", "tiny"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("hwrender: error: model 'tiny' failed verification") and "README.md" in line
    assert runner.invoke(hwrender_app, ["weights", "pull", "nope"]).exit_code == 2


def test_a_bundled_model_not_yet_on_the_hub_loads_and_reports_a_missing_copy(store):
    """A model exported into the bundle but never pushed: no repo/revision in its manifest."""
    weights.save_model(store / "local", {"w": torch.ones(2)}, {}, "# local\n", "local")
    assert weights.model_status("local") == "bundled"
    assert weights.resolve("local", offline=False).source == "bundled"  # no network tried
    assert weights.verify("local").ok
    (store / "local" / "model.safetensors").unlink()
    assert weights.model_status("local").startswith("missing (bundled only")
    with pytest.raises(WeightsError, match="not published on the Hub.*reinstall hwrender"):
        weights.resolve("local", offline=False)


def test_list_says_bundled_not_on_the_hub_for_an_unpublished_model(store):
    weights.save_model(store / "local", {"w": torch.ones(2)}, {}, "# local\n", "local")
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if line.startswith("local ")]
    assert row.split("  ")[0] == "local" and row.count("bundled (not on the Hub)") == 2
    assert " - " not in row
    assert json.loads(runner.invoke(app, ["list", "--json"]).stdout)[0]["repo_id"] is None  # data stays null


def test_verify_without_a_manifest_says_unverified_and_fails(store, tmp_path):
    mine = tmp_path / "mine"
    shutil.copytree(store / "tiny", mine)
    (mine / "manifest.json").unlink()
    data = bytearray((mine / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF  # corrupt, but only a checksum could tell
    (mine / "model.safetensors").write_bytes(bytes(data))
    result = runner.invoke(app, ["verify", "tiny", "--weights", str(mine)])
    assert result.exit_code == 1 and isinstance(result.exception, WeightsError)
    rows = result.stdout.splitlines()[1:]
    assert [r.split()[0] for r in rows] == ["model.safetensors", "config.json"]
    assert all(r.rstrip().endswith("unverified (no manifest.json)") for r in rows)
    assert "ok" not in result.stdout.split()
    assert "is unverified: it has no manifest.json" in str(result.exception)


def test_write_with_a_missing_weights_folder_is_a_one_line_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HWRENDER_PLUGINS"}  # latin must be loadable
    run = subprocess.run([sys.executable, "-m", "hwrender", "write", "hi", "-g", "Latn=latin", "--weights",
                          "/nonexistent", "-o", str(tmp_path / "x.png")],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith("hwrender: error: --weights /nonexistent: no such folder (")
    assert not (tmp_path / "x.png").exists()


def test_write_with_an_unchecked_folder_warns_once(tmp_path):
    shipped = weights.local_folder("latin")
    if shipped is None:
        pytest.skip("the latin weights are not on this machine")
    mine = tmp_path / "latin"
    shutil.copytree(shipped, mine)
    (mine / "manifest.json").unlink()
    run = subprocess.run([sys.executable, "-m", "hwrender", "write", "hello world, hi", "-g", "Latn=latin",
                          "--weights", str(mine), "-o", str(tmp_path / "x.png")],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    warned = [line for line in run.stderr.splitlines() if line.startswith("hwrender: warning:")]
    assert warned == [f"hwrender: warning: {mine} has no manifest.json; its files are not checked "
                      f"({weights.UNVERIFIED_FIX})"]
