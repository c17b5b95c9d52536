"""hwrender.atomic: a write either replaces the file whole or leaves the old one."""

import os

import pytest

from hwrender.atomic import atomic_path, temporary_name, write_atomic


def test_write_atomic_bytes_text_and_callback(tmp_path):
    path = tmp_path / "a.json"
    assert write_atomic(path, b"one") == path and path.read_bytes() == b"one"
    write_atomic(path, "twö")
    assert path.read_bytes() == "twö".encode()
    write_atomic(path, lambda tmp: tmp.write_text("three"))
    assert path.read_text() == "three" and os.listdir(tmp_path) == ["a.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"good")

    def half(tmp):
        tmp.write_bytes(b"ha")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, half)
    assert path.read_bytes() == b"good" and os.listdir(tmp_path) == ["model.safetensors"]
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "new.png") as tmp:
        tmp.write_bytes(b"x")
        raise RuntimeError
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_temporary_names_are_hidden_unique_and_keep_the_suffix(tmp_path):
    a, b = temporary_name(tmp_path / "train.npz"), temporary_name(tmp_path / "train.npz")
    assert a != b and a.parent == tmp_path
    assert a.name.startswith(".train.") and a.suffix == ".npz"


def test_the_file_gets_the_umask_mode_not_a_private_one(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o644


def test_a_file_its_writer_made_private_gets_the_usual_permissions(tmp_path):
    """safetensors' save_file creates its file 0600: an exported model.safetensors was private
    while the rest of the model folder was not."""
    import os

    def private(tmp):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b"x")
        os.close(fd)

    mask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "model.safetensors", private)
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
