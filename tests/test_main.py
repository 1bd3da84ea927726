"""The command line (sesstok/__main__.py): help text, the message when the
C core is not built, and the bench runner's progress and failure handling
(on small stand-in benchmarks, so no timing is involved)."""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from sesstok.__main__ import command_name, main

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _env(**extra):
    return {**os.environ, "PYTHONPATH": ROOT, "PYTHONWARNINGS": "error", **extra}


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["inspect", "--help"], ["bench", "--help"]])
def test_help_is_plain_text(argv, capsys):
    """No reStructuredText markup (``literal``, :mod:) in --help."""
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ")
    assert "``" not in out and not re.search(r":(mod|func|class):", out), out


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("sesstok demo [--port N]", "sesstok inspect VALUE", "sesstok bench [--quick]"):
        assert command in out


def test_unbuilt_core_is_a_one_line_message(tmp_path):
    """``python -m sesstok`` from a source checkout's root, where sesstok/
    has no compiled _core (a non-editable install): one line saying what to
    run instead, exit 2, no traceback."""
    shutil.copytree(
        os.path.join(ROOT, "sesstok"), tmp_path / "sesstok", ignore=shutil.ignore_patterns("*.so", "__pycache__")
    )
    env = {k: v for k, v in _env().items() if k != "PYTHONPATH"}
    for argv in (["demo", "--port", "0"], ["inspect", "x", "--key-file", "k"]):
        # -S: no site-packages, so no editable install's finder either: only the folder
        result = subprocess.run(
            [sys.executable, "-S", "-m", "sesstok", *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2 and result.stdout == ""
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("sesstok's C core is not built in sesstok/")
        assert f"run {command_name()} {' '.join(argv)}, or build it in place with pip install -e ." in result.stderr


# ---- the bench runner -------------------------------------------------------------------------------------

GOOD = """
    import _harness

    _harness.run([_harness.Case("same", lambda: 1, lambda: 1)], "Good")
"""
MIXED = """
    import _harness

    _harness.run([_harness.Case("differs", lambda: 1, lambda: 2),
                   _harness.Case("agrees", lambda: "a", lambda: "a")], "Mixed")
"""
BROKEN = """
    import not_installed_optional_dependency  # noqa: F401
"""


@pytest.fixture
def checkout(tmp_path):
    """A folder laid out like a checkout's benchmarks/: the real harness,
    stand-in benchmarks, and a README with a benchmark section."""
    bench = tmp_path / "benchmarks"
    bench.mkdir()
    shutil.copy(os.path.join(ROOT, "benchmarks", "_harness.py"), bench)
    for name, body in (("a_broken", BROKEN), ("good", GOOD), ("mixed", MIXED)):
        (bench / f"bench_{name}.py").write_text(textwrap.dedent(body))
    (tmp_path / "README.md").write_text("x\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n")
    return tmp_path


def _bench(checkout, *argv):
    return subprocess.run(
        [sys.executable, "-m", "sesstok", "bench", "--quick", *argv],
        cwd=checkout,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_bench_goes_on_after_a_failure_and_exits_non_zero(checkout):
    result = _bench(checkout, "--update-readme", "README.md")
    assert result.returncode == 1, result.stderr
    err, out = result.stderr, result.stdout
    # the first benchmark fails to import; the two after it still run and report
    assert "| same |" in out and "| agrees |" in out and "differs |" not in out
    assert "## Good" in out and "## Mixed" in out
    summary = err[err.index("3 benchmark(s) in") :]
    assert "2 failure(s)" in summary
    assert re.search(
        r"FAILED bench_a_broken\.py: exit 1: ModuleNotFoundError: No module named "
        r"'not_installed_optional_dependency'",
        summary,
    )
    assert "FAILED bench_mixed.py: differs: ResultMismatch: differs: results differ" in summary
    assert "README.md not updated" in err
    assert (checkout / "README.md").read_text() == "x\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n"


def test_bench_shows_progress(checkout):
    err = _bench(checkout).stderr
    # which benchmark, how far overall, roughly how long is left
    for index, name in enumerate(("a_broken", "good", "mixed"), 1):
        assert re.search(rf"^\[{index}/3\] bench_{name}\.py · \d+:\d\d elapsed, roughly \d+:\d\d left$", err, re.M)
    # and within a benchmark, case by case
    assert re.search(r"^  bench_good\.py 1/1 · same: [\d.]+× · \d+:\d\d elapsed, ~0:00 left$", err, re.M)
    assert re.search(r"^  bench_mixed\.py 1/2 · differs: FAILED \(ResultMismatch: .*\) · .* left$", err, re.M)
    assert re.search(r"^  bench_mixed\.py 2/2 · agrees: [\d.]+× · ", err, re.M)


def test_bench_all_good_updates_the_readme(checkout):
    for name in ("a_broken", "mixed"):
        (checkout / "benchmarks" / f"bench_{name}.py").unlink()
    result = _bench(checkout, "--update-readme", "README.md")
    assert result.returncode == 0, result.stderr
    assert "1 benchmark(s) in" in result.stderr and "all ran" in result.stderr
    readme = (checkout / "README.md").read_text()
    assert "| same |" in readme and "old" not in readme


def test_benchmarks_without_the_redis_package_skip_redis(tmp_path):
    """The benchmarks' Redis helper without the redis package (a bench
    environment from before it was in the extra): no ModuleNotFoundError,
    the Redis cases are skipped with a note, even when redis-server is
    installed or REDIS_URL is set."""
    script = (
        "import sys; sys.modules['redis'] = None\n"
        f"sys.path.insert(0, {os.path.join(ROOT, 'benchmarks')!r})\n"
        "import _stack\n"
        "print(_stack._start_redis())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=_env(REDIS_URL="redis://127.0.0.1:1/0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "None\n" and "no redis package" in result.stderr
