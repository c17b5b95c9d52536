"""EMNIST data: loader round trips for every release format, class sets, errors, synthetic build.

The tests write tiny files in each format themselves (no real EMNIST is available here). Images
hold an 'L', which is not symmetric under transposition, so a reader that forgets to transpose
(or transposes twice) returns a mirrored 'L' and fails.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from hwrender.errors import InputError, UsageError
from hwrender_plugins.emnist import classes as cls
from hwrender_plugins.emnist import data

CAVEAT = Path(__file__).resolve().parents[1] / "plugins" / "font" / "fonts" / "Caveat-Regular.ttf"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _l_images(n: int) -> np.ndarray:
    """n upright 28 x 28 'L's (tall bar on the left, foot at the bottom), each a little different."""
    images = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        images[i, 4:24, 6:9] = 255
        images[i, 21:24, 6:20 + i % 4] = 200
    return images


def _sample(n: int = 5, labels=None) -> data.EmnistSet:
    labels = np.arange(n, dtype=np.int64) * 7 % 62 if labels is None else np.asarray(labels, np.int64)
    return data.EmnistSet(_l_images(n), labels, "byclass")


def _write_csv(path: Path, dataset: data.EmnistSet) -> None:
    """Kaggle layout: label, then the 784 pixels of the transposed image, no header."""
    stored = dataset.images.transpose(0, 2, 1).reshape(len(dataset), -1)
    rows = np.column_stack([dataset.labels, stored])
    path.write_text("".join(",".join(map(str, row)) + "\n" for row in rows))


def _write_mat(path: Path, train: data.EmnistSet, test: data.EmnistSet) -> None:
    """The release's MATLAB layout: each image row is the upright image in column-major order."""
    savemat = pytest.importorskip("scipy.io").savemat

    def part(s):
        return {"images": s.images.reshape(len(s), -1, order="F"),
                "labels": s.labels.reshape(-1, 1).astype(np.float64),
                "writers": (np.arange(len(s)) + 100).reshape(-1, 1).astype(np.float64)}

    mapping = np.array([[label, ord(c)] for label, c in enumerate(cls.BYCLASS.chars)], dtype=np.float64)
    savemat(path, {"dataset": {"train": part(train), "test": part(test), "mapping": mapping}})


# --- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [True, False])
def test_idx_round_trip_stores_transposed_and_reads_upright(tmp_path, compress):
    sample = _sample()
    images_path, labels_path = data.write_idx(sample, tmp_path, "train", compress=compress)
    assert images_path.name == "emnist-byclass-train-images-idx3-ubyte" + (".gz" if compress else "")
    raw = images_path.read_bytes()
    raw = gzip.decompress(raw) if compress else raw
    assert raw[:4] == b"\x00\x00\x08\x03"
    assert np.frombuffer(raw, ">u4", 3, 4).tolist() == [5, 28, 28]
    on_disk = np.frombuffer(raw, np.uint8, offset=16).reshape(5, 28, 28)
    assert np.array_equal(on_disk, sample.images.transpose(0, 2, 1))  # transposed, as in the release
    assert not np.array_equal(on_disk, sample.images)

    for source in (tmp_path, images_path, labels_path):  # a folder, or either file of the pair
        loaded = data.load(source, "train")
        assert loaded.images.dtype == np.uint8 and loaded.labels.dtype == np.int64
        assert np.array_equal(loaded.images, sample.images)  # the 'L' is upright again
        assert np.array_equal(loaded.labels, sample.labels)
        assert loaded.classes == "byclass"


def test_csv_round_trip(tmp_path):
    sample = _sample(4)
    _write_csv(tmp_path / "emnist-byclass-test.csv", sample)
    loaded = data.load(tmp_path, "test")
    assert np.array_equal(loaded.images, sample.images)
    assert np.array_equal(loaded.labels, sample.labels)


def test_mat_round_trip_in_release_layout(tmp_path):
    train, test = _sample(5), _sample(2, labels=[61, 10])
    _write_mat(tmp_path / "emnist-byclass.mat", train, test)
    for split, expected in (("train", train), ("test", test)):
        loaded = data.load(tmp_path, split)
        assert np.array_equal(loaded.images, expected.images)
        assert np.array_equal(loaded.labels, expected.labels)
        assert loaded.writers.tolist() == list(range(100, 100 + len(expected)))
        assert loaded.mapping == cls.BYCLASS.mapping()
    # The layout really is the IDX's byte order: a C-order reshape gives the transposed image.
    from scipy.io import loadmat
    rows = loadmat(tmp_path / "emnist-byclass.mat")["dataset"][0, 0]["train"][0, 0]["images"]
    assert np.array_equal(rows.reshape(-1, 28, 28), train.images.transpose(0, 2, 1))


def test_mat_without_scipy_says_how_to_install(tmp_path, monkeypatch):
    (tmp_path / "emnist-byclass.mat").write_bytes(b"MATLAB 5.0")
    monkeypatch.setitem(__import__("sys").modules, "scipy.io", None)
    with pytest.raises(InputError) as err:
        data.load(tmp_path)
    assert "pip install scipy" in err.value.one_line()


def test_mapping_files_round_trip(tmp_path):
    for class_set in (cls.BYCLASS, cls.BALANCED):
        path = cls.write_mapping(tmp_path / f"emnist-{class_set.name}-mapping.txt", class_set)
        assert cls.parse_mapping(path) == class_set.mapping()
        assert cls.identify(cls.parse_mapping(path)) == class_set.name
    lines = (tmp_path / "emnist-balanced-mapping.txt").read_text().splitlines()
    assert len(lines) == 47 and lines[10] == "10 65" and lines[36] == "36 97" and lines[46] == "46 116"
    assert (tmp_path / "emnist-byclass-mapping.txt").read_text().splitlines()[61] == "61 122"


def test_balanced_merges_the_fifteen_look_alike_letters():
    assert len(cls.BYCLASS) == 62 and len(cls.BALANCED) == 47
    assert cls.BALANCED.chars[36:] == "abdefghnqrt"
    merged = cls.to_balanced(np.arange(62))
    for label, char in enumerate(cls.BYCLASS.chars):
        expected = char.upper() if char in "cijklmopsuvwxyz" else char
        assert cls.BALANCED.chars[merged[label]] == expected
    assert cls.to_balanced([38, 36, 55, 61]).tolist() == [12, 36, 46, 35]  # c->C, a, t, z->Z


def test_balanced_loads_from_byclass_files_but_not_the_reverse(tmp_path):
    data.write_idx(_sample(3, labels=[38, 36, 5]), tmp_path / "byclass", "train")
    merged = data.load(tmp_path / "byclass", "train", classes="balanced")
    assert merged.classes == "balanced" and merged.labels.tolist() == [12, 36, 5]
    balanced = data.EmnistSet(_l_images(2), np.array([46, 0]), "balanced")
    data.write_idx(balanced, tmp_path / "balanced", "train")
    assert data.load(tmp_path / "balanced", "train", classes="balanced").labels.tolist() == [46, 0]
    with pytest.raises(InputError, match="not byclass"):
        data.load(tmp_path / "balanced" / "emnist-balanced-train-images-idx3-ubyte.gz", "train")


# --- malformed input ---------------------------------------------------------------------------

def _idx_pair(folder: Path, n_labels: int = 3, labels=None) -> tuple[Path, Path]:
    sample = _sample(3, labels=labels)
    images, labels_path = data.write_idx(sample, folder, "train", compress=False)
    if n_labels != 3:
        data.write_idx(data.EmnistSet(_l_images(n_labels), np.zeros(n_labels, np.int64), "byclass"),
                       folder / "other", "train", compress=False)
        (folder / "other" / labels_path.name).replace(labels_path)
    return images, labels_path


def _swap(folder):
    images, labels = _idx_pair(folder)
    images_bytes, labels_bytes = images.read_bytes(), labels.read_bytes()
    images.write_bytes(labels_bytes)
    labels.write_bytes(images_bytes)


def _truncate(folder):
    images, _ = _idx_pair(folder)
    images.write_bytes(images.read_bytes()[:-10])


def _trailing(folder):
    images, _ = _idx_pair(folder)
    images.write_bytes(images.read_bytes() + b"\x00" * 3)


def _bad_gzip(folder):
    sample = _sample(3)
    images, _ = data.write_idx(sample, folder, "train")
    images.write_bytes(images.read_bytes()[:40])


def _count_mismatch(folder):
    _idx_pair(folder, n_labels=2)


def _labels_out_of_range(folder):
    _idx_pair(folder, labels=[0, 62, 3])


def _labels_missing(folder):
    _idx_pair(folder)[1].unlink()


def _csv_columns(folder):
    (folder / "emnist-byclass-train.csv").write_text("1,2,3\n4,5,6\n")


def _csv_text(folder):
    (folder / "emnist-byclass-train.csv").write_text("1," + ",".join(["0"] * 783) + ",x\n")


def _mat_junk(folder):
    (folder / "emnist-byclass.mat").write_bytes(b"not a MATLAB file at all" * 10)


@pytest.mark.parametrize("make, words", [
    (_swap, "bad magic number 0x00000801"),
    (_truncate, "truncated"),
    (_trailing, "3 bytes after"),
    (_bad_gzip, "truncated or corrupt gzip"),
    (_count_mismatch, "3 images but 2 labels"),
    (_labels_out_of_range, "labels out of range 0..62"),
    (_labels_missing, "file not found"),
    (_csv_columns, "rows have 3 columns"),
    (_csv_text, "malformed CSV"),
    (_mat_junk, "not a readable MATLAB file"),
])
def test_malformed_input_names_the_file_and_the_fix(tmp_path, make, words):
    make(tmp_path)
    with pytest.raises(InputError) as err:
        data.load(tmp_path, "train")
    line = err.value.one_line()
    assert words in line and str(tmp_path) in line and err.value.hint
    assert "\n" not in line


def test_missing_data_lists_what_was_expected(tmp_path):
    with pytest.raises(InputError) as err:
        data.load(tmp_path, "test", classes="balanced")
    line = err.value.one_line()
    expected = ("emnist-balanced-test-images-idx3-ubyte.gz", "emnist-bymerge-test.csv",
                "emnist-byclass.mat")
    for name in expected:
        assert name in line
    with pytest.raises(InputError, match="no such file or folder"):
        data.load(tmp_path / "absent")
    with pytest.raises(UsageError):
        data.load(tmp_path, "validation")


def test_malformed_mapping_file(tmp_path):
    path = tmp_path / "emnist-byclass-mapping.txt"
    path.write_text("0 48\n1 x\n")
    with pytest.raises(InputError, match=r"mapping.txt:2: expected"):
        cls.parse_mapping(path)


# --- synthetic build ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from hwrender_plugins.emnist.synth import build_synthetic

    # DejaVu is a print face, but a fine stand-in font for the held-out split; without it the
    # bundled Caveat serves under a second id, which still exercises the split.
    second = DEJAVU if DEJAVU.is_file() else CAVEAT
    fonts = {"caveat": CAVEAT, "second": second}
    out = tmp_path_factory.mktemp("emnist-synth")
    calls = []
    summary = build_synthetic(fonts, out, per_class_per_font=2, seed=7, holdout={"second"},
                              progress=lambda done, total: calls.append((done, total)))
    return summary, out, calls


def test_synthetic_build_writes_an_emnist_set(synthetic):
    summary, out, calls = synthetic
    assert summary.counts == {"train": 124, "test": 124}
    assert summary.fonts == {"train": ["caveat"], "test": ["second"]}
    assert calls[-1] == (248, 248) and summary.images_per_s > 0
    train, test = data.load(out, "train"), data.load(out, "test")
    assert train.images.shape == (124, 28, 28) and test.images.shape == (124, 28, 28)
    assert sorted(np.bincount(train.labels, minlength=62)) == [2] * 62
    assert cls.parse_mapping(out / "emnist-byclass-mapping.txt") == cls.BYCLASS.mapping()

    images = np.concatenate([train.images, test.images])
    assert (images.reshape(len(images), -1).max(axis=1) == 255).all()  # intensities scaled to 0-255
    assert images.mean() < 80  # white ink on black
    ink = images > 0
    assert not ink[:, :2].any() and not ink[:, -2:].any()  # 2 px border
    assert not ink[:, :, :2].any() and not ink[:, :, -2:].any()
    for mask in ink:
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        # The larger side fills the 24 px inside the border (less the blur's faintest fringe).
        assert max(height, width) >= 22
        assert abs((rows[0] + rows[-1]) / 2 - 13.5) <= 1 and abs((cols[0] + cols[-1]) / 2 - 13.5) <= 1


def test_synthetic_placement_and_provenance(synthetic):
    summary, out, _ = synthetic
    report = json.loads((out / "placement.json").read_text())
    place = report["placement"]
    assert set(place) == set(cls.BYCLASS.chars)
    assert place["g"]["bottom"]["median"] < -0.2 < place["a"]["bottom"]["median"]  # descender
    assert place["A"]["top"]["median"] > place["a"]["top"]["median"] + 0.2  # capitals are taller
    assert place["l"]["top"]["median"] > place["x"]["top"]["median"] + 0.2  # ascender
    provenance = report["provenance"]
    assert provenance["seed"] == 7 and provenance["classes"] == "byclass"
    assert [f["id"] for f in provenance["splits"]["test"]["fonts"]] == ["second"]
    train_font = provenance["splits"]["train"]["fonts"][0]
    assert train_font["file"] == "Caveat-Regular.ttf" and len(train_font["sha256"]) == 64
    assert train_font["images"] == 124


def test_synthetic_build_is_deterministic_under_a_seed(tmp_path):
    from hwrender_plugins.emnist.synth import build_synthetic

    def build(folder, seed):
        build_synthetic({"caveat": CAVEAT}, tmp_path / folder, per_class_per_font=1, classes="balanced",
                        seed=seed, holdout=set())
        return (tmp_path / folder / "emnist-balanced-train-images-idx3-ubyte.gz").read_bytes()

    first = build("a", 3)
    assert build("b", 3) == first
    assert build("c", 4) != first
    loaded = data.load(tmp_path / "a", "train", classes="balanced")
    assert len(loaded) == 47 and sorted(loaded.labels.tolist()) == list(range(47))
    assert data.load(tmp_path / "a", "test", classes="balanced").images.shape == (0, 28, 28)


def test_synthetic_build_skips_missing_characters_and_caps_only_fonts(tmp_path):
    from fontTools.ttLib import TTFont

    from hwrender_plugins.emnist.synth import build_synthetic

    no_q = tmp_path / "caveat-no-q.ttf"
    with TTFont(CAVEAT) as font:
        for table in font["cmap"].tables:
            table.cmap.pop(ord("Q"), None)
        font.save(no_q)
    summary = build_synthetic({"no-q": no_q, "capitals": CAVEAT}, tmp_path / "out", per_class_per_font=1,
                              seed=0, holdout=set(), caps_only={"capitals"})
    assert summary.skipped == {"no-q": {"missing": "Q"}, "capitals": {"caps-only font": cls.LOWER}}
    assert summary.counts["train"] == 61 + 36
    report = json.loads((tmp_path / "out" / "placement.json").read_text())
    assert "Q" not in report["placement"]  # measured on the font with a lower case only
    assert report["placement"]["A"]["n_fonts"] == 1


def test_a_build_that_fails_writing_placement_json_leaves_no_half_set(tmp_path, monkeypatch):
    """placement.json marks a font-built set as complete (dataset.ensure_synthetic reuses the
    folder when it is there), so a failure while writing it must leave none behind."""
    from types import SimpleNamespace

    from hwrender_plugins.emnist import synth

    # a lone surrogate: encoding the text fails once the file is being written
    monkeypatch.setattr(synth, "json", SimpleNamespace(dumps=lambda obj, **kwargs: "\ud800"))
    with pytest.raises(UnicodeEncodeError):
        synth.build_synthetic({"caveat": CAVEAT}, tmp_path / "out", per_class_per_font=1,
                              classes="balanced", seed=0, holdout=set())
    assert not (tmp_path / "out" / "placement.json").exists()
    assert not list((tmp_path / "out").glob(".*tmp*"))
