"""The weights store: resolution order, manifest and safetensors checks, strict loading, the Hub path.

Models are tiny ones written to tmp dirs; the Hub is tests/hub_standin.py on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from hypothesis import given, settings, strategies as st

from hub_standin import HubStandin, point_huggingface_hub_at
from weights_env import use_store
from hwrender import weights
from hwrender.errors import HwrenderWarning, UsageError, WeightsError
from hwrender.weights.manifest import _read_manifest

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO = "hwrender-test/tiny"
REV = "0123456789abcdef0123456789abcdef01234567"
SHAPES = {"conv.weight": (4, 1, 3, 3), "conv.bias": (4,)}
CONFIG = {"channels": 4, "kernel": 3}


def make_model(folder: Path, name: str = "tiny") -> dict[str, torch.Tensor]:
    """Export a tiny model into ``folder``; returns its tensors."""
    gen = torch.Generator().manual_seed(0)
    state = {key: torch.randn(shape, generator=gen) for key, shape in SHAPES.items()}
    weights.save_model(folder, state, CONFIG, "# tiny\nA test model.\n", name, REPO, REV)
    return state


def error_text(excinfo) -> str:
    """The message the CLI would print; asserts it is one line."""
    text = str(excinfo.value)
    assert "\n" not in text and text == excinfo.value.one_line()
    return text


def flip_last_byte(path: Path) -> None:
    """Change tensor data without changing the size or the header (only the checksum can tell)."""
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def store(tmp_path, monkeypatch) -> Path:
    """An empty bundled root and an empty Hugging Face cache, with the network allowed."""
    root = tmp_path / "bundled"
    root.mkdir()
    return use_store(monkeypatch, root, tmp_path / "hf-cache")


@pytest.fixture
def published(store, tmp_path) -> Path:
    """Model ``tiny``: its manifest ships in the bundled root, its files are only on the Hub."""
    export = tmp_path / "export" / "tiny"
    make_model(export)
    (store / "tiny").mkdir()
    shutil.copy(export / "manifest.json", store / "tiny")
    return export


@pytest.fixture
def hub(published, tmp_path, monkeypatch):
    """The stand-in Hub serving ``tiny`` at its pinned revision, with huggingface_hub pointed at it."""
    with HubStandin() as standin:
        standin.add_folder(REPO, REV, published)
        point_huggingface_hub_at(standin.url, monkeypatch, tmp_path / "hf-home")
        yield standin


# ------------------------------------------------------------------------------ bundled & explicit


def test_import_and_bundled_resolve_stay_off_torch_and_the_network(store):
    make_model(store / "tiny")
    code = (
        "import sys\n"
        "from hwrender import weights\n"
        "assert not {'torch', 'huggingface_hub'} & set(sys.modules), 'imported by hwrender.weights'\n"
        "print(weights.model_status('tiny'), weights.resolve('tiny').source)\n"
        "assert not {'torch', 'huggingface_hub'} & set(sys.modules), 'imported by resolve'\n"
    )
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9"}  # nothing listens there
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["bundled", "bundled"]


def test_bundled_model_resolves_and_loads_the_saved_tensors(store):
    state = make_model(store / "tiny")
    files = weights.resolve("tiny")
    assert (files.source, files.folder, files.config) == ("bundled", store / "tiny", CONFIG)
    assert (files.manifest.repo_id, files.manifest.revision) == (REPO, REV)
    loaded = files.load_state_dict(SHAPES)
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)


def test_bundled_copy_is_used_without_any_request(hub, store, published):
    shutil.copytree(published, store / "tiny", dirs_exist_ok=True)
    assert weights.resolve("tiny").source == "bundled"
    assert hub.requests == []


def test_bundled_root_defaults_to_the_hwrender_weights_package(tmp_path, monkeypatch):
    make_model(tmp_path / "site" / "hwrender_weights" / "tiny")
    monkeypatch.delenv("HWRENDER_WEIGHTS_ROOT", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert [m.name for m in weights.list_models()] == ["tiny"]
    assert weights.resolve("tiny").folder == tmp_path / "site" / "hwrender_weights" / "tiny"


def test_explicit_folder_wins_and_needs_no_manifest(store, tmp_path):
    make_model(store / "tiny")
    mine = tmp_path / "mine"
    make_model(mine)
    (mine / "manifest.json").unlink()
    with pytest.warns(HwrenderWarning, match="has no manifest.json"):
        files = weights.resolve("tiny", weights_dir=mine)
    assert (files.source, files.folder, files.manifest) == ("explicit", mine, None)
    assert files.load_state_dict(SHAPES).keys() == SHAPES.keys()


def test_explicit_folder_is_checked_against_its_own_manifest(store, tmp_path):
    mine = tmp_path / "mine"
    make_model(mine)
    flip_last_byte(mine / "model.safetensors")
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny", weights_dir=mine)
    text = error_text(exc)
    assert "checksum mismatch" in text and str(mine / "model.safetensors") in text


def test_explicit_folder_of_another_model_is_refused(store, tmp_path):
    """A folder whose manifest pins another model: ``write`` failed later over a missing config
    key, and ``weights verify`` passed it."""
    make_model(tmp_path / "other", name="remote")
    for call in (lambda: weights.resolve("tiny", weights_dir=tmp_path / "other"),
                 lambda: weights.verify("tiny", tmp_path / "other")):
        with pytest.raises(WeightsError, match="holds the 'remote' model, not 'tiny'") as exc:
            call()
        assert "tiny model's folder" in error_text(exc)


def test_verify_looks_into_a_folder_of_model_folders_as_resolve_does(store, tmp_path):
    make_model(tmp_path / "all" / "tiny")
    assert weights.resolve("tiny", weights_dir=tmp_path / "all").folder == tmp_path / "all" / "tiny"
    report = weights.verify("tiny", tmp_path / "all")
    assert report.ok and report.folder == tmp_path / "all" / "tiny"


def test_explicit_folder_that_does_not_exist_is_a_usage_error(store, tmp_path):
    with pytest.raises(UsageError) as exc:
        weights.resolve("tiny", weights_dir=tmp_path / "nowhere")
    assert "no such folder" in error_text(exc)


@pytest.mark.parametrize("source", ["/nonexistent", "./nowhere", "runs/x/model", "~/nope"])
def test_model_files_calls_a_missing_path_no_such_folder_not_an_unknown_model(store, source):
    make_model(store / "tiny")
    with pytest.raises(UsageError) as exc:
        weights.model_files("tiny", source)
    text = error_text(exc)
    assert text.startswith(f"--weights {Path(source)}: no such folder") and "unknown model" not in text


def test_model_files_with_a_name_that_is_neither_says_both(store):
    make_model(store / "tiny")
    assert weights.model_files("x", "tiny").folder == store / "tiny"  # another store name
    with pytest.raises(UsageError) as exc:
        weights.model_files("tiny", "nope")
    text = error_text(exc)
    assert "--weights nope: no such folder, and unknown model 'nope'" in text and "known models: tiny" in text


def test_explicit_folder_without_manifest_warns_once(store, tmp_path):
    mine = tmp_path / "mine"
    make_model(mine)
    (mine / "manifest.json").unlink()
    with pytest.warns(HwrenderWarning) as record:
        weights.resolve("tiny", weights_dir=mine)
    [warning] = record
    assert str(warning.message).startswith(f"{mine} has no manifest.json; its files are not checked (")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weights.resolve("tiny", weights_dir=mine)  # the same folder again: no second warning
        make_model(tmp_path / "checked")
        weights.resolve("tiny", weights_dir=tmp_path / "checked")  # with a manifest: none


def test_bundled_folder_without_manifest_is_refused_not_taken_unchecked(store):
    make_model(store / "tiny")
    (store / "tiny" / "manifest.json").unlink()
    for call in (weights.resolve, weights.pull, weights.verify):
        with pytest.raises(WeightsError) as exc:
            call("tiny")
        assert f"{store / 'tiny'} has no manifest.json" in error_text(exc)
    assert [m.name for m in weights.list_models()] == ["tiny"]  # still listed, with the problem
    assert "has no manifest.json" in weights.model_status("tiny")
    assert weights.local_folder("tiny") is None


def test_verify_without_a_manifest_is_unverified_not_ok(store, tmp_path):
    mine = tmp_path / "mine"
    make_model(mine)
    (mine / "manifest.json").unlink()
    flip_last_byte(mine / "model.safetensors")  # only a checksum could tell
    report = weights.verify("tiny", mine)
    assert not report.checked and not report.ok
    assert all(c.problem is None for c in report.files)


def test_every_shipped_model_has_a_manifest():
    root = REPO_ROOT / "weights"
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
    assert folders
    for folder in folders:
        manifest = _read_manifest(folder / "manifest.json")
        assert manifest.name == folder.name and set(weights.MODEL_FILES) <= set(manifest.files)


def test_unknown_model_names_the_known_ones(published):
    for call in (weights.resolve, weights.pull, weights.verify):
        with pytest.raises(UsageError) as exc:
            call("nope")
        text = error_text(exc)
        assert "unknown model 'nope'" in text and "known models: tiny" in text
    assert weights.model_status("nope") == "unknown model"


def test_bundled_file_with_wrong_checksum_is_refused(store):
    make_model(store / "tiny")
    flip_last_byte(store / "tiny" / "model.safetensors")
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny")
    text = error_text(exc)
    assert "checksum mismatch" in text and "model.safetensors" in text and "reinstall hwrender" in text


# --------------------------------------------------------------------------------------- manifest


def _rewrite(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


BAD_MANIFESTS = {
    "not json": lambda p: p.write_text("{not json"),
    "a list": lambda p: p.write_text("[]"),
    "branch, not commit": lambda p: _rewrite(p, lambda d: d.update(revision="main")),
    "bad repo id": lambda p: _rewrite(p, lambda d: d.update(repo_id="no-slash")),
    "no weights entry": lambda p: _rewrite(p, lambda d: d["files"].pop("model.safetensors")),
    "path escapes folder": lambda p: _rewrite(
        p, lambda d: d["files"].update({"../x": d["files"]["config.json"]})
    ),
    "short sha": lambda p: _rewrite(p, lambda d: d["files"]["config.json"].update(sha256="abc")),
    "negative size": lambda p: _rewrite(p, lambda d: d["files"]["config.json"].update(size=-1)),
    "other model's": lambda p: _rewrite(p, lambda d: d.update(name="other")),
    "half-pinned": lambda p: _rewrite(p, lambda d: d.update(revision=None)),
}


@pytest.mark.parametrize("damage", BAD_MANIFESTS.values(), ids=BAD_MANIFESTS.keys())
def test_bad_manifest_is_one_clear_error_and_still_listed(store, damage):
    make_model(store / "tiny")
    damage(store / "tiny" / "manifest.json")
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny")
    assert f"bad manifest {store / 'tiny' / 'manifest.json'}" in error_text(exc)
    [info] = weights.list_models()
    assert info.name == "tiny" and info.status.startswith("bad manifest")
    assert weights.model_status("tiny").startswith("bad manifest")


# ---------------------------------------------------------------------------- config and loading


def test_load_config_errors_name_the_file(tmp_path):
    with pytest.raises(WeightsError) as exc:
        weights.load_config(tmp_path)
    assert f"{tmp_path / 'config.json'} is missing" in error_text(exc)
    for text, problem in (("{oops", "not valid JSON"), ("[1, 2]", "not an object")):
        (tmp_path / "config.json").write_text(text)
        with pytest.raises(WeightsError) as exc:
            weights.load_config(tmp_path)
        assert problem in error_text(exc)


def test_shape_check_names_every_disagreement_and_the_config(store):
    make_model(store / "tiny")
    expected = {"conv.weight": (8, 1, 3, 3), "head.weight": (2, 4)}  # conv.bias left out
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny").load_state_dict(expected)
    text = error_text(exc)
    assert "missing keys head.weight" in text
    assert "unexpected keys conv.bias" in text
    assert "conv.weight is (4, 1, 3, 3) in the file but (8, 1, 3, 3) in the model" in text
    assert str(store / "tiny" / "config.json") in text


def _safetensors(header: object, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


GOOD_HEADER = {
    "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
    "b": {"dtype": "I8", "shape": [3], "data_offsets": [8, 11]},
}
CORRUPT_FILES = {
    "too short": (b"\x01\x02", "too short"),
    "header beyond file": (struct.pack("<Q", 1000) + b"{}", "header claims 1000 bytes"),
    "header not json": (struct.pack("<Q", 4) + b"\xff\xfe{}", "not valid JSON"),
    "header not object": (_safetensors([], b""), "not a JSON object"),
    "bad metadata": (
        _safetensors({"__metadata__": {"step": 1}}, b""),
        "__metadata__ is not a map of strings",
    ),
    "unknown dtype": (
        _safetensors({"a": {"dtype": "F7", "shape": [1], "data_offsets": [0, 1]}}, b"x"),
        "unknown dtype",
    ),
    "bad shape": (
        _safetensors({"a": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 1]}}, b"x"),
        "invalid shape",
    ),
    "size disagrees": (
        _safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"x" * 4),
        "needs 8 bytes",
    ),
    "gap": (
        _safetensors({**GOOD_HEADER, "b": {**GOOD_HEADER["b"], "data_offsets": [9, 12]}}, b"x" * 12),
        "starts at byte 9",
    ),
    "truncated": (_safetensors(GOOD_HEADER, b"x" * 10), "truncated safetensors"),
    "trailing bytes": (_safetensors(GOOD_HEADER, b"x" * 12), "corrupt safetensors"),
}


@pytest.mark.parametrize("content, problem", CORRUPT_FILES.values(), ids=CORRUPT_FILES.keys())
def test_damaged_safetensors_is_one_line_naming_file_and_fix(tmp_path, content, problem):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(WeightsError) as exc:
        weights.load_state_dict(path, hint="run `hwrender weights pull tiny --force`")
    text = error_text(exc)
    assert str(path) in text and problem in text and "hwrender weights pull tiny --force" in text


def test_well_formed_header_is_accepted(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(_safetensors(GOOD_HEADER, struct.pack("<2f", 1.5, -2.0) + b"\x01\x02\x03"))
    loaded = weights.load_state_dict(path, {"a": (2,), "b": (3,)})
    assert loaded["a"].tolist() == [1.5, -2.0] and loaded["b"].tolist() == [1, 2, 3]


DTYPES = [
    torch.float32,
    torch.float16,
    torch.bfloat16,
    torch.float64,
    torch.int64,
    torch.int8,
    torch.uint8,
    torch.bool,
]
tensors = st.dictionaries(
    st.text("abcdefgh.", min_size=1, max_size=6),
    st.tuples(st.sampled_from(DTYPES), st.lists(st.integers(0, 3), max_size=3)),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(tensors)
def test_every_file_safetensors_writes_passes_the_header_check(spec):
    from safetensors.torch import save

    state = {k: torch.zeros(shape, dtype=dtype) for k, (dtype, shape) in spec.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        path.write_bytes(save(state))
        loaded = weights.load_state_dict(path, {k: tuple(shape) for k, (_, shape) in spec.items()})
    assert {k: (v.dtype, v.shape) for k, v in loaded.items()} == {
        k: (v.dtype, v.shape) for k, v in state.items()
    }


_SAMPLE = _safetensors(
    {"__metadata__": {"format": "pt"}, **GOOD_HEADER}, struct.pack("<2f", 1.0, 2.0) + b"\x01\x02\x03"
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, len(_SAMPLE) - 1),
    st.one_of(st.sampled_from(b'0123456789[]{},:" '), st.integers(0, 255)),  # favour plausible JSON
    st.one_of(st.just(len(_SAMPLE)), st.integers(0, len(_SAMPLE))),
)
def test_damaged_bytes_give_weights_error_or_a_loadable_file(position, value, keep):
    """Whatever the damage, the header check either rejects the file or safetensors can load it."""
    data = bytearray(_SAMPLE)
    data[position] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        path.write_bytes(bytes(data[:keep]))
        try:
            weights.load_state_dict(path)
        except WeightsError:
            pass


# ------------------------------------------------------------------------ status, list and verify


def test_status_and_listing_follow_the_files(published, store):
    assert weights.model_status("tiny") == "not downloaded (hwrender weights pull tiny)"
    shutil.copytree(published, store / "tiny", dirs_exist_ok=True)
    assert weights.model_status("tiny") == "bundled"
    assert weights.list_models() == [weights.ModelInfo("tiny", REPO, REV, "bundled")]
    path = store / "tiny" / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-4])
    assert weights.model_status("tiny").startswith("corrupt: model.safetensors is")


def test_verify_reports_each_file(store):
    make_model(store / "tiny")
    report = weights.verify("tiny")
    assert report.ok and report.source == "bundled"
    assert [c.filename for c in report.files] == ["README.md", "config.json", "model.safetensors"]
    (store / "tiny" / "README.md").write_text("# TINY\nA test model.\n")  # same size
    report = weights.verify("tiny")
    assert not report.ok
    [bad] = [c for c in report.files if c.problem]
    assert bad.filename == "README.md" and "checksum mismatch" in bad.problem


def test_verify_of_a_model_not_downloaded_fails_with_pull_hint(published):
    report = weights.verify("tiny")
    assert not report.ok and {c.problem for c in report.files} == {"not downloaded"}
    assert "hwrender weights pull tiny" in report.hint


def test_pull_force_of_an_unpublished_bundled_model_says_there_is_nothing_to_download(store):
    """It said "its bundled copy is missing or incomplete" of a copy that verify passes."""
    weights.save_model(store / "tiny", {k: torch.zeros(s) for k, s in SHAPES.items()}, CONFIG,
                       "# tiny\n", "tiny", None, None)
    with pytest.warns(HwrenderWarning, match="not published on the Hub.*bundled copy checks out"):
        files = weights.pull("tiny", force=True)
    assert files.source == "bundled"
    flip_last_byte(store / "tiny" / "model.safetensors")
    with pytest.raises(WeightsError, match="checksum mismatch"):
        weights.pull("tiny", force=True)


# ----------------------------------------------------------------------------- Hub via stand-in


def test_pull_downloads_each_pinned_file_once_and_verifies_it(hub, tmp_path):
    files = weights.pull("tiny")
    assert files.source == "download"
    assert files.folder == tmp_path / "hf-cache" / "models--hwrender-test--tiny" / "snapshots" / REV
    assert files.config == CONFIG and files.load_state_dict(SHAPES).keys() == SHAPES.keys()
    expected = sorted(
        (m, f"/{REPO}/resolve/{REV}/{f}")
        for m in ("HEAD", "GET")
        for f in ("README.md", "config.json", "model.safetensors")
    )
    assert sorted(hub.resolve_requests()) == expected
    assert weights.model_status("tiny") == "cached" and weights.verify("tiny").ok


def test_cached_model_resolves_with_no_request(hub):
    assert weights.resolve("tiny").source == "download"
    hub.requests.clear()
    assert weights.resolve("tiny").source == "cache"
    assert weights.pull("tiny").source == "cache"
    assert hub.requests == []


@pytest.mark.parametrize("env", [{}, {"HF_HUB_OFFLINE": "1"}, {"HWRENDER_OFFLINE": "1"}])
def test_offline_with_filled_cache_works_without_requests(hub, monkeypatch, env):
    weights.pull("tiny")
    hub.requests.clear()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert weights.resolve("tiny", offline=True if not env else None).source == "cache"
    assert hub.requests == []


@pytest.mark.parametrize("env", [{}, {"HF_HUB_OFFLINE": "1"}, {"HWRENDER_OFFLINE": "true"}])
def test_offline_with_empty_cache_says_how_to_fix_and_sends_nothing(hub, monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny", offline=True if not env else None)
    text = error_text(exc)
    assert "offline" in text and "hwrender weights pull tiny" in text and "--weights DIR" in text
    assert hub.requests == []


def test_download_with_bad_checksum_is_refused_and_not_kept(hub, tmp_path):
    body = bytearray(hub.files[(REPO, REV, "model.safetensors")])
    body[-1] ^= 0xFF
    hub.files[(REPO, REV, "model.safetensors")] = bytes(body)
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny")
    text = error_text(exc)
    assert "model.safetensors" in text and "checksum mismatch" in text
    cache = tmp_path / "hf-cache" / "models--hwrender-test--tiny"
    assert not (cache / "snapshots" / REV / "model.safetensors").exists()
    assert bytes(body) not in [p.read_bytes() for p in (cache / "blobs").iterdir()]
    assert weights.model_status("tiny").startswith("not downloaded")
    with pytest.raises(WeightsError, match="offline"):
        weights.resolve("tiny", offline=True)


def test_file_missing_on_the_hub_is_named(hub):
    del hub.files[(REPO, REV, "config.json")]
    with pytest.raises(WeightsError) as exc:
        weights.pull("tiny")
    text = error_text(exc)
    assert "config.json of model 'tiny' is missing on the Hub" in text and REPO in text
    assert ("HEAD", f"/{REPO}/resolve/{REV}/config.json") in hub.requests


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda p: p.write_bytes(b"\x00" * p.stat().st_size), "corrupt safetensors"),
        (lambda p: p.write_bytes(p.read_bytes()[:-7]), "truncated safetensors"),
        (flip_last_byte, "checksum mismatch"),
    ],
)
def test_damaged_cache_is_reported_and_pull_force_repairs_it(hub, damage, problem):
    weights.pull("tiny")
    damage(weights.resolve("tiny").weights)
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny")
    text = error_text(exc)
    assert problem in text and "model.safetensors" in text and "hwrender weights pull tiny --force" in text
    hub.requests.clear()
    assert weights.pull("tiny", force=True).source == "download"
    assert ("GET", f"/{REPO}/resolve/{REV}/model.safetensors") in hub.requests
    assert weights.resolve("tiny").load_state_dict(SHAPES).keys() == SHAPES.keys()


def test_unreachable_hub_is_one_line_error(published, tmp_path, monkeypatch):
    point_huggingface_hub_at("http://127.0.0.1:9", monkeypatch, tmp_path / "hf-home")
    # huggingface_hub retries a refused connection with back-off (~20 s); skip the waiting.
    monkeypatch.setattr("huggingface_hub.utils._http.time.sleep", lambda seconds: None)
    with pytest.raises(WeightsError) as exc:
        weights.resolve("tiny")
    assert "cannot download" in error_text(exc) and "127.0.0.1:9" in error_text(exc)


# ---------------------------------------------------------------------------------- push & export


class FakeApi:
    """Stands in for huggingface_hub.HfApi: records calls, answers with a commit."""

    def __init__(self, fail_with: Exception | None = None):
        self.calls: list[tuple[str, dict]] = []
        self.fail_with = fail_with

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))
        if self.fail_with:
            raise self.fail_with
        return SimpleNamespace(oid="f" * 40)


def test_push_uploads_the_model_files_and_pins_the_commit(tmp_path, store):
    folder = tmp_path / "mine"
    make_model(folder)
    api = FakeApi()
    assert weights.push(folder, "me/mine", api=api) == "f" * 40
    (_, create), (_, upload) = api.calls
    assert create["repo_id"] == "me/mine" and create["exist_ok"] is True
    assert upload["repo_id"] == "me/mine" and upload["folder_path"] == str(folder)
    assert sorted(upload["allow_patterns"]) == ["README.md", "config.json", "model.safetensors"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["name"], manifest["repo_id"], manifest["revision"]) == ("tiny", "me/mine", "f" * 40)
    assert weights.resolve("tiny", weights_dir=folder).manifest.revision == "f" * 40


def test_failed_push_leaves_the_manifest_alone(tmp_path, store):
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    folder = tmp_path / "mine"
    make_model(folder)
    before = (folder / "manifest.json").read_text()
    denied = HfHubHTTPError(
        "denied", response=httpx2.Response(403, request=httpx2.Request("POST", "http://hub"))
    )
    with pytest.raises(WeightsError) as exc:
        weights.push(folder, "me/mine", api=FakeApi(fail_with=denied))
    assert "HTTP 403" in error_text(exc) and "hf auth login" in error_text(exc)
    assert (folder / "manifest.json").read_text() == before


def test_push_checks_the_folder_before_uploading(tmp_path, store):
    folder = tmp_path / "mine"
    make_model(folder)
    api = FakeApi()
    with pytest.raises(UsageError):
        weights.push(folder, "not a repo", api=api)
    (folder / "model.safetensors").write_bytes(b"garbage!")
    with pytest.raises(WeightsError) as exc:
        weights.push(folder, "me/mine", api=api)
    assert "model.safetensors" in error_text(exc)
    assert api.calls == []


@pytest.mark.parametrize("kwargs", [{"name": "../x"}, {"repo_id": "nope"}, {"revision": "main"}])
def test_save_model_rejects_bad_identifiers(tmp_path, kwargs):
    args = {"name": "tiny", "repo_id": REPO, "revision": REV, **kwargs}
    with pytest.raises(UsageError):
        weights.save_model(tmp_path / "m", {"w": torch.zeros(1)}, {}, "card", **args)
    assert not (tmp_path / "m").exists()


def test_save_model_leaves_nothing_behind_when_writing_fails(tmp_path, monkeypatch):
    import safetensors.torch

    def half_then_full_disk(tensors, path, metadata=None):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", half_then_full_disk)
    with pytest.raises(OSError):
        weights.save_model(tmp_path / "m", {"w": torch.zeros(1)}, {}, "# m\n", "m")
    assert list((tmp_path / "m").iterdir()) == []  # no half-written weights under any name
