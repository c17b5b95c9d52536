"""The command line at the edges of its process (issue 25): signals, pipes, full disks, closed
standard streams, special files as -o, usage errors, -q/-v after the command, earlier pages.

Most cases need a real process (a signal, a closed descriptor, a pipe whose reader leaves), so
they run ``python -m hwrender`` with the font generator, which is fast and needs no weights.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from signals_env import default_signals
from typer.testing import CliRunner

from hwrender.cli import app

FONT = ["-g", "Latn=font"]
LONG = "word " * 1500  # three A4 pages


def hwrender(*args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("timeout", 120)
    env = {k: v for k, v in os.environ.items() if k != "HWRENDER_DEBUG"}
    return subprocess.run([sys.executable, "-m", "hwrender", *args], env=env, **kwargs)


def in_shell(redirect: str, *args, cwd) -> subprocess.CompletedProcess:
    """Run hwrender with a shell redirection such as ``<&-`` applied to it alone."""
    env = {k: v for k, v in os.environ.items() if k != "HWRENDER_DEBUG"}
    return subprocess.run(["sh", "-c", f'"$@" {redirect}', "sh", sys.executable, "-m", "hwrender",
                           *args], capture_output=True, timeout=120, cwd=cwd, env=env)


def one_error_line(stderr: bytes) -> str:
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("hwrender: error: "), lines
    return lines[0]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HWRENDER_DEBUG", raising=False)
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(app, list(args), input=input)


# ---------------------------------------------------------------------------------------------
# -o onto something that is not a regular file


def test_write_refuses_a_fifo_and_leaves_it(run, tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    result = run("write", "hi", *FONT, "-o", "pipe.png")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("hwrender: error: output path 'pipe.png' is a named pipe (FIFO); "
                                     "hwrender writes only regular files (use -o - for standard "
                                     "output, e.g. -o - > pipe.png)")
    assert (tmp_path / "pipe.png").is_fifo()


def test_write_refuses_a_symlink_and_names_its_target(run, tmp_path):
    (tmp_path / "real.pdf").write_bytes(b"keep")
    (tmp_path / "link.pdf").symlink_to("real.pdf")
    result = run("write", "hi", *FONT, "-o", "link.pdf")
    assert result.exit_code == 1
    assert f"give -o {tmp_path / 'real.pdf'}" in result.stderr
    assert (tmp_path / "link.pdf").is_symlink() and (tmp_path / "real.pdf").read_bytes() == b"keep"


# ---------------------------------------------------------------------------------------------
# signals


def _start_and_wait_for_temp_files(tmp_path, name="out.png"):
    env = {k: v for k, v in os.environ.items() if k != "HWRENDER_DEBUG"}
    proc = subprocess.Popen([sys.executable, "-m", "hwrender", "write", "-", *FONT, "-o", name],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path, env=env, preexec_fn=default_signals)
    proc.stdin.write(LONG.encode())
    proc.stdin.close()
    proc.stdin = None  # so communicate() does not flush it
    deadline = time.monotonic() + 60
    while not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no temporary file appeared"
        time.sleep(0.02)
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_mid_way_leave_no_temporary_files(tmp_path, signum):
    proc = _start_and_wait_for_temp_files(tmp_path)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signum  # ended by the signal, as the shell reports: 128 + signum
    assert b"Traceback" not in err
    assert os.listdir(tmp_path) == []


def test_ctrl_c_mid_way_says_interrupted_and_cleans_up(tmp_path):
    proc = _start_and_wait_for_temp_files(tmp_path)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.decode().strip().splitlines()[-1] == "hwrender: interrupted"
    assert os.listdir(tmp_path) == []


def test_a_later_run_removes_a_killed_runs_temporary_files(tmp_path):
    proc = _start_and_wait_for_temp_files(tmp_path)
    proc.kill()  # SIGKILL: nothing can clean up
    proc.communicate(timeout=60)
    assert any(n.endswith(".tmp") for n in os.listdir(tmp_path))
    done = hwrender("write", "hi", *FONT, "--dpi", "40", "-o", "out.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert os.listdir(tmp_path) == ["out.png"]


# ---------------------------------------------------------------------------------------------
# standard output: closed pipes, full disks


def test_a_reader_that_leaves_early_gives_a_quiet_non_zero_exit(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HWRENDER_DEBUG"}
    proc = subprocess.Popen([sys.executable, "-m", "hwrender", "write", "-", *FONT, "-o", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path, env=env, preexec_fn=default_signals)
    proc.stdin.write(LONG.encode())  # a PDF of several MB: far more than a pipe holds
    proc.stdin.close()
    assert proc.stdout.read(100).startswith(b"%PDF")  # `| head -c 100`
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1  # not 0: the PDF was not delivered
    assert err == b""  # no "unexpected BrokenPipeError", no "Exception ignored"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["write", "hi", *FONT, "-o", "-"], ["generators"]])
def test_stdout_on_a_full_disk_is_a_clear_error(tmp_path, args):
    with open("/dev/full", "wb") as full:
        done = hwrender(*args, stdout=full, stderr=subprocess.PIPE, capture_output=False, cwd=tmp_path)
    assert done.returncode == 1
    assert one_error_line(done.stderr).startswith(
        "hwrender: error: cannot write to standard output: No space left on device (")


# ---------------------------------------------------------------------------------------------
# closed standard streams


def test_closed_stdin_without_text_is_a_usage_error(tmp_path):
    done = in_shell("<&-", "write", *FONT, "-o", "x.pdf", cwd=tmp_path)
    assert done.returncode == 2
    assert one_error_line(done.stderr).startswith("hwrender: error: no text to write")
    done = in_shell("<&-", "write", "-", *FONT, "-o", "x.pdf", cwd=tmp_path)
    assert done.returncode == 2
    assert one_error_line(done.stderr).startswith("hwrender: error: standard input is closed")
    assert os.listdir(tmp_path) == []


def test_closed_stdout_with_dash_o_is_an_error(tmp_path):
    done = in_shell(">&-", "write", "hi", *FONT, "-o", "-", cwd=tmp_path)
    assert done.returncode == 1
    assert one_error_line(done.stderr).startswith(
        "hwrender: error: cannot write to standard output: it is closed")


def test_closed_stderr_the_command_still_works_and_errors_still_fail(tmp_path):
    done = in_shell("2>&-", "write", "hi", *FONT, "-o", "x.pdf", cwd=tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")
    data = (tmp_path / "x.pdf").read_bytes()
    assert data.rstrip().endswith(b"%%EOF") and b"wrote x.pdf" not in data  # no message landed in it
    done = in_shell("2>&-", "write", "hi", *FONT, "--paper", "napkin", "-o", "y.pdf", cwd=tmp_path)
    assert done.returncode == 2
    assert not (tmp_path / "y.pdf").exists()


# ---------------------------------------------------------------------------------------------
# usage errors: one line, exit 2; --help unchanged


@pytest.mark.parametrize("args, needle, where", [
    (["write", "hi", "--seed", "abc"], "invalid value for '--seed'", "hwrender write --help"),
    (["interpolate"], "missing argument 'STYLE_A'", "hwrender interpolate --help"),
    (["write", "hi", "--fromat", "png"], "no such option: --fromat; did you mean --format?",
     "hwrender write --help"),
    (["nosuchcommand"], "no such command 'nosuchcommand'", "hwrender --help"),
    (["weights", "list", "--nope"], "no such option: --nope", "hwrender weights list --help"),
])
def test_usage_errors_are_one_line(run, args, needle, where):
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"hwrender: error: {needle}")
    assert lines[0].endswith(f"(see {where})")
    assert result.stdout == ""


def test_help_is_still_the_full_help(run):
    result = run("write", "--help")
    assert result.exit_code == 0
    assert "Usage: hwrender write" in result.stdout and "--output" in result.stdout


# ---------------------------------------------------------------------------------------------
# -q / -v after the command


def test_quiet_and_verbose_after_the_command(run, tmp_path):
    quiet = run("write", "-q", "hi", *FONT, "--dpi", "40", "-o", "q.pdf")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    verbose = run("write", "hi", *FONT, "--dpi", "40", "-o", "v.pdf", "--verbose")
    assert verbose.exit_code == 0 and "page 1 written" in verbose.stderr
    both = run("-q", "write", "-v", "hi", *FONT, "--dpi", "40", "-o", "b.pdf")
    assert both.exit_code == 0 and both.stderr == ""  # quiet wins, wherever it is given
    nested = run("weights", "list", "-q")
    assert nested.exit_code == 0, nested.stderr


# ---------------------------------------------------------------------------------------------
# earlier pages, file modes


def test_a_shorter_rewrite_warns_about_earlier_pages_and_clean_removes_them(run, tmp_path):
    first = run("write", "-", *FONT, "--dpi", "40", "-o", "out.png", input=LONG)
    assert first.exit_code == 0
    count = len(os.listdir(tmp_path))
    assert count > 2 and (tmp_path / f"out-{count}.png").exists()
    (tmp_path / "out-x.png").write_bytes(b"not a page of ours")

    second = run("write", "hi", *FONT, "--dpi", "40", "-o", "out.png")
    assert second.exit_code == 0
    names = (", ".join(f"out-{k}.png" for k in range(2, count + 1)) if count <= 4
             else f"out-2.png … out-{count}.png ({count - 1} files)")
    assert (f"hwrender: warning: {names} are from an earlier run, not this text "
            "(remove them, or add --clean)") in second.stderr
    assert (tmp_path / f"out-{count}.png").exists()

    third = run("write", "hi", *FONT, "--dpi", "40", "-o", "out.png", "--clean")
    assert third.exit_code == 0
    assert "warning" not in third.stderr
    assert sorted(os.listdir(tmp_path)) == ["out-x.png", "out.png"]


def test_a_trailing_slash_is_a_folder_not_a_file(run, tmp_path):
    """``-o x.png/`` wrote x.png, then failed (exit 2) over the format of 'x.png/'."""
    for out in ("x.png/", "out/"):
        result = run("write", "hi", *FONT, "--dpi", "40", "-o", out, "--format", "png")
        assert result.exit_code == 2 and "naming a folder" in result.stderr, result.stderr
    assert os.listdir(tmp_path) == []


def test_clean_never_removes_the_page_just_written(run, tmp_path):
    """``-o 'a{{n}}.png'`` (braces escaped, a file named ``a{n}.png``): --clean removed it."""
    result = run("write", "hi", *FONT, "--dpi", "40", "-o", "a{{n}}.png", "--clean")
    assert result.exit_code == 0 and "removed" not in result.stderr, result.stderr
    assert os.listdir(tmp_path) == ["a{n}.png"]


def test_rewriting_a_private_file_keeps_it_private(run, tmp_path):
    (tmp_path / "diary.pdf").write_bytes(b"old")
    (tmp_path / "diary.pdf").chmod(0o600)
    result = run("write", "dear diary", *FONT, "--dpi", "40", "-o", "diary.pdf")
    assert result.exit_code == 0
    assert (tmp_path / "diary.pdf").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "diary.pdf").read_bytes().startswith(b"%PDF")


def test_font_library_notes_stay_off_stderr(run, tmp_path):
    """fontTools' complaints about a system font ("1 extra bytes in post.stringData array") went
    to stderr, even with -q, whenever the fallback font was looked for; -v still shows them."""
    import logging

    run("generators")
    assert not logging.getLogger("fontTools").isEnabledFor(logging.WARNING)
    run("-v", "generators")
    assert logging.getLogger("fontTools").isEnabledFor(logging.WARNING)
