"""Side-by-side benchmark harness.

A case times the original library and sesstok in the same process, after
checking that both give the same result (a wrong result gets no number).
Rounds alternate between the two so machine noise hits both alike; the table
shows median microseconds per call and the ratio original / sesstok.
"""

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

# From a source checkout without an install, use the checkout's sesstok.
try:
    import sesstok  # noqa: F401
except ImportError:
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROUNDS = 15
TARGET_ROUND_SECONDS = 0.02

# SESSTOK_BENCH_CLOCK=thread times this thread's CPU (time.thread_time)
# instead of the wall clock: on a shared, loaded machine the scheduler's
# pauses are then not counted. Time spent waiting on a server (Redis, a
# database) is not counted either, so cases dominated by a round trip read
# lower than with the wall clock.
_CLOCK = time.thread_time if os.environ.get("SESSTOK_BENCH_CLOCK") == "thread" else time.perf_counter


@dataclass
class Case:
    """One comparison. `original` and `sesstok` are zero-argument callables.

    check(original_result, sesstok_result) must hold before timing; by default
    the results must be equal. `prepare` runs once before checking (e.g. to
    freeze a clock for the check); `target` is the ratio the issue asks for.
    """

    name: str
    original: Callable[[], Any]
    sesstok: Callable[[], Any]
    check: Optional[Callable[[Any, Any], bool]] = None
    target: Optional[float] = None
    note: str = ""
    group: str = ""
    # context-manager factories entered around each side's check and rounds
    # (e.g. a settings switch), so their cost stays out of the timings
    original_context: Optional[Callable[[], Any]] = None
    sesstok_context: Optional[Callable[[], Any]] = None


@dataclass
class Result:
    name: str
    group: str
    original_us: float
    sesstok_us: float
    ratio: float
    target: Optional[float]
    note: str = ""
    samples: dict = field(default_factory=dict)

    @property
    def meets_target(self):
        return self.target is None or self.ratio >= self.target


class ResultMismatch(AssertionError):
    pass


def _calibrate(fn):
    """Iterations per round so that a round takes about TARGET_ROUND_SECONDS."""
    number = 1
    while True:
        start = _CLOCK()
        for _ in range(number):
            fn()
        elapsed = _CLOCK() - start
        if elapsed >= TARGET_ROUND_SECONDS / 4 or number >= 1 << 20:
            return max(1, int(number * TARGET_ROUND_SECONDS / max(elapsed, 1e-9)))
        number *= 4


def _round(fn, number):
    start = _CLOCK()
    for _ in range(number):
        fn()
    return (_CLOCK() - start) / number * 1e6


def _in(context_factory):
    return context_factory() if context_factory else contextlib.nullcontext()


def run_case(case, rounds=ROUNDS):
    with _in(case.original_context):
        original_result = case.original()
        n_orig = _calibrate(case.original)
    with _in(case.sesstok_context):
        sesstok_result = case.sesstok()
        n_ss = _calibrate(case.sesstok)
    ok = case.check(original_result, sesstok_result) if case.check else original_result == sesstok_result
    if not ok:
        raise ResultMismatch(
            f"{case.name}: results differ\n  original: {original_result!r:.300}\n  sesstok:  {sesstok_result!r:.300}"
        )
    orig, ss = [], []
    for _ in range(rounds):
        with _in(case.original_context):
            orig.append(_round(case.original, n_orig))
        with _in(case.sesstok_context):
            ss.append(_round(case.sesstok, n_ss))
    o, s = statistics.median(orig), statistics.median(ss)
    return Result(case.name, case.group, o, s, o / s if s else float("inf"), case.target, case.note)


def environment():
    import importlib.metadata as md

    def version(dist):
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return None

    from sesstok import _core

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "openssl": _core.OPENSSL_VERSION,
        "zlib": _core.ZLIB_VERSION,
        "django": version("Django"),
        "pyjwt": version("PyJWT"),
        "djangorestframework": version("djangorestframework"),
        "djangorestframework-simplejwt": version("djangorestframework-simplejwt"),
        "cryptography": version("cryptography"),
        "sesstok": version("sesstok"),
    }


def format_table(results, title=None):
    lines = []
    if title:
        lines += [f"## {title}", ""]
    lines.append("| case | original µs | sesstok µs | ratio | target |")
    lines.append("|---|---:|---:|---:|---:|")
    for r in results:
        target = "" if r.target is None else f"≥ {r.target:g}× {'✓' if r.meets_target else '✗'}"
        name = f"{r.name} ({r.note})" if r.note else r.name
        lines.append(f"| {name} | {r.original_us:.2f} | {r.sesstok_us:.2f} | {r.ratio:.1f}× | {target} |")
    return "\n".join(lines)


def clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _case_name(item):
    note = getattr(item, "note", "")
    return f"{item.name} ({note})" if note else item.name


def each(items, measure, describe, name=_case_name, label=None, out=None):
    """measure(item) for every item (called name(item)), printing a
    progress line to stderr after each one: which script, how far, its
    result (describe(result)), roughly how long is left. An item that
    raises is reported and skipped, so one broken case does not cost the
    others their numbers. Returns (results, failures); failures are
    ``{"name", "error"}`` dicts for the JSON output."""
    label = label or os.path.basename(sys.argv[0])
    out = out or sys.stderr
    items = list(items)
    results, failures = [], []
    start = time.monotonic()
    for done, item in enumerate(items, 1):
        try:
            result = measure(item)
        except Exception as e:  # reported, and the run exits non-zero at the end
            error = f"{type(e).__name__}: {e}".splitlines()[0]
            failures.append({"name": name(item), "error": error})
            text = f"FAILED ({error})"
        else:
            results.append(result)
            text = describe(result)
        elapsed = time.monotonic() - start
        left = elapsed / done * (len(items) - done)
        print(
            f"  {label} {done}/{len(items)} · {name(item)}: {text} · {clock(elapsed)} elapsed, ~{clock(left)} left",
            file=out,
            flush=True,
        )
    return results, failures


def report_failures(failures):
    """After the output: list the failed cases on stderr and exit 1."""
    if failures:
        print(f"{len(failures)} case(s) failed:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure['name']}: {failure['error']}", file=sys.stderr)
        raise SystemExit(1)


def run(cases, title, argv=None, rounds=ROUNDS):
    """Run cases and print a markdown table (or JSON with --json)."""
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (noisier)")
    parser.add_argument("-k", dest="filter", help="only cases whose name contains this")
    args = parser.parse_args(argv)
    if args.quick:
        rounds = 5
    selected = [c for c in cases if not args.filter or args.filter in c.name]
    results, failures = each(selected, lambda case: run_case(case, rounds), lambda r: f"{r.ratio:.1f}×")
    if args.json:
        print(
            json.dumps(
                {
                    "title": title,
                    "environment": environment(),
                    "results": [r.__dict__ for r in results],
                    "failures": failures,
                },
                indent=2,
            )
        )
    else:
        print(format_table(results, title))
    report_failures(failures)
    return results
