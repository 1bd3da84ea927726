"""sesstok's command line: the demo site, inspect, benchmarks.

    sesstok demo [--port N] [--db PATH] [--redis URL]
    sesstok inspect VALUE [--key-file F | --key-env NAME | --key K] [--salt S] [--cookie NAME] [--json]
    sesstok bench [--quick] [--json] [--only signing,jwt] [--update-readme README.md]

``sesstok`` is the console script; ``python -m sesstok`` is the same
program, except from the root of a source checkout, where ``python -m``
imports the checkout's ``sesstok/`` folder (no compiled core unless it was
installed with ``pip install -e``) instead of the installed package.
"""

import argparse
import importlib.machinery
import json
import os
import shlex
import shutil
import subprocess
import sys
import time


def command_name():
    """How to run this command line again, from any directory, for messages
    and the demo's examples: ``sesstok`` when this environment's console
    script is the one on PATH, else that script's absolute path, else (no
    script) ``python -m sesstok``."""
    script = os.path.join(os.path.dirname(sys.executable), "sesstok")
    if not os.access(script, os.X_OK):
        return "python -m sesstok"
    found = shutil.which("sesstok")
    if found and os.path.realpath(found) == os.path.realpath(script):
        return "sesstok"
    return script


def _shorter(path):
    """path relative to the working directory when it is under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def core_missing():
    """None if ``sesstok._core`` imports, else a one-line explanation with
    what to run instead."""
    try:
        from . import _core  # noqa: F401
    except ImportError as e:
        error = e
    else:
        return None
    package = os.path.dirname(os.path.abspath(__file__))
    built = any(
        name.startswith("_core.") and name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
        for name in os.listdir(package)
    )
    if built:  # compiled, but it does not load (e.g. a missing libcrypto)
        return f"sesstok's C core in {package} does not load: {error}"
    command = command_name()
    instead = (
        f"run {_shorter(command)} {shlex.join(sys.argv[1:])}".rstrip()
        if command != "python -m sesstok"
        else "install it (pip install .) and run sesstok"
    )
    return (
        f"sesstok's C core is not built in {_shorter(package)}/ (python -m sesstok from a source checkout "
        f"imports that folder, not the installed package): {instead}, or build it in place with pip install -e ."
    )


def _benchmarks_dir():
    """The benchmarks/ folder of a source checkout (cwd first, then next to
    the package for editable installs)."""
    candidates = [
        os.path.join(os.getcwd(), "benchmarks"),
        os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"),
    ]
    for path in candidates:
        if os.path.isfile(os.path.join(path, "_harness.py")):
            return path
    return None


def _bench_scripts(directory, only):
    names = sorted(f[6:-3] for f in os.listdir(directory) if f.startswith("bench_") and f.endswith(".py"))
    if only:
        wanted = {w.strip() for w in only.split(",") if w.strip()}
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have: {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


# rough seconds per full run of each benchmark (a 2-CPU VM); --quick takes
# about a third. Only for "time left", scaled by how fast this run goes.
BENCH_SECONDS = {"auth": 10, "drf": 13, "jwt": 18, "requests": 90, "sessions": 11, "signing": 11}


def _run_bench_script(command):
    """Run one benchmark script: its stderr (progress lines) shown as it
    comes, its stdout (JSON) collected. Returns (exit status, stdout, the
    last stderr line)."""
    import tempfile

    with tempfile.TemporaryFile("w+", encoding="utf-8") as stdout:
        proc = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, text=True)
        last = ""
        for line in proc.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            last = line.strip() or last
        status = proc.wait()
        stdout.seek(0)
        return status, stdout.read(), last


def bench(args):
    directory = _benchmarks_dir()
    if directory is None:
        raise SystemExit(
            "sesstok bench runs the benchmarks of a source checkout: "
            "run it from the repository root (the folder with benchmarks/)."
        )
    sys.path.insert(0, directory)
    from _harness import clock, format_table

    names = _bench_scripts(directory, args.only)
    scale = 1 / 3 if args.quick else 1
    estimate = {n: BENCH_SECONDS.get(n, sum(BENCH_SECONDS.values()) / len(BENCH_SECONDS)) * scale for n in names}
    reports, failures = [], []
    start = time.monotonic()
    for done, name in enumerate(names):
        elapsed = time.monotonic() - start
        finished = sum(estimate[n] for n in names[:done])
        pace = elapsed / finished if finished else 1.0
        left = pace * sum(estimate[n] for n in names[done:])
        print(
            f"[{done + 1}/{len(names)}] bench_{name}.py · {clock(elapsed)} elapsed, roughly {clock(left)} left",
            file=sys.stderr,
            flush=True,
        )
        command = [sys.executable, os.path.join(directory, f"bench_{name}.py"), "--json"]
        if args.quick:
            command.append("--quick")
        status, out, last = _run_bench_script(command)
        try:
            report = json.loads(out)
        except ValueError:
            report = None
        if report is not None:  # its measured cases count even if others failed
            reports.append(report)
            failures += [f"bench_{name}.py: {f['name']}: {f['error']}" for f in report.get("failures", [])]
        if status != 0 and (report is None or not report.get("failures")):
            failures.append(f"bench_{name}.py: exit {status}: {last or 'no output'}")
    text = json.dumps(reports, indent=2) if args.json else render(reports, format_table)
    print(text)
    print(
        f"{len(names)} benchmark(s) in {clock(time.monotonic() - start)}: "
        f"{'all ran' if not failures else f'{len(failures)} failure(s)'}",
        file=sys.stderr,
    )
    for failure in failures:
        print(f"  FAILED {failure}", file=sys.stderr)
    if failures:
        if args.update_readme:
            print(f"{args.update_readme} not updated: fix the failures first", file=sys.stderr)
        return 1
    if args.update_readme and not args.json:
        update_readme(args.update_readme, text)
    return 0


def render(reports, format_table):
    from types import SimpleNamespace

    out = []
    for report in reports:
        results = [
            SimpleNamespace(**{**r, "meets_target": r.get("target") is None or r["ratio"] >= r["target"]})
            for r in report["results"]
        ]
        out.append(format_table(results, report["title"]))
        out.append("")
    if reports:
        env = reports[0]["environment"]
        versions = ", ".join(
            f"{k} {v}"
            for k, v in env.items()
            if k in ("django", "pyjwt", "djangorestframework", "djangorestframework-simplejwt", "cryptography") and v
        )
        out.append(
            f"Measured with CPython {env['python']} on {env['cpu']} ({env['cpus']} CPUs), "
            f"{env['openssl']}, zlib {env['zlib']}; {versions}. Median of alternating rounds; "
            "ratio = original time / sesstok time, both measured in the same run after checking "
            "they give the same result."
        )
    return "\n".join(out)


README_BEGIN = "<!-- bench:begin -->"
README_END = "<!-- bench:end -->"


def update_readme(path, text):
    with open(path, encoding="utf-8") as f:
        content = f.read()
    start, end = content.find(README_BEGIN), content.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path} has no {README_BEGIN} ... {README_END} section")
    content = content[: start + len(README_BEGIN)] + "\n" + text + "\n" + content[end:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)
    print(f"updated {path}", file=sys.stderr)


def demo(args):
    from .demo.server import run

    return run(port=args.port, db=args.db, redis_url=args.redis)


def inspect(args):
    from .inspect import main as inspect_main

    return inspect_main(args, sys.stdin, sys.stdout, sys.stderr)


def _port(text):
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0-65535 (0: any free port)")
    return value


def _prog():
    return "sesstok" if os.path.basename(sys.argv[0]) == "sesstok" else "python -m sesstok"


def main(argv=None):
    lines = __doc__.splitlines()
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description=lines[0],
        epilog="\n".join(["commands:", *lines[2:5]]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser(
        "demo",
        help="run the demo site on 127.0.0.1 (SQLite, created on first run)",
        description="Run the demo site: every login flow, on 127.0.0.1. Not for production.",
    )
    d.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000; 0: any free port)")
    d.add_argument(
        "--db",
        metavar="PATH",
        help="SQLite database file, created and migrated on first run; its secret key is kept next "
        "to it in PATH.secret (default $XDG_DATA_HOME/sesstok/demo.sqlite3, "
        "i.e. ~/.local/share/sesstok/demo.sqlite3)",
    )
    d.add_argument(
        "--redis",
        metavar="URL",
        help="keep revocations, the user cache and login counters in Redis (default: in-process)",
    )
    d.set_defaults(func=demo)
    i = commands.add_parser(
        "inspect",
        help="decode a JWT, a Django signed value or session cookie, or a sesstok token",
        description="Tell a JWT from a Django signed value, session cookie or API token; show its contents "
        "and times; verify it when a key is given.",
    )
    i.add_argument("value", metavar="VALUE", help="the token or cookie value ('-': read it from standard input)")
    keys = i.add_mutually_exclusive_group()
    keys.add_argument("--key-file", metavar="F", help="read the key from file F (a secret, or a PEM public key)")
    keys.add_argument("--key-env", metavar="NAME", help="read the key from environment variable NAME")
    keys.add_argument("--key", metavar="K", help="the key itself (discouraged: it lands in shell history)")
    i.add_argument("--salt", help="salt of a Django signed value (default: try Django's usual ones)")
    i.add_argument(
        "--cookie",
        metavar="NAME",
        help="the value is the signed cookie NAME (set_signed_cookie); the key is the SECRET_KEY",
    )
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=inspect)
    b = commands.add_parser("bench", help="benchmarks side by side with Django/PyJWT/DRF/SimpleJWT")
    b.add_argument("--quick", action="store_true", help="fewer rounds (noisier, faster)")
    b.add_argument("--json", action="store_true", help="machine-readable output")
    b.add_argument("--only", help="comma-separated benchmark names (e.g. signing,jwt)")
    b.add_argument("--update-readme", metavar="README", help="rewrite the benchmark section of README")
    b.set_defaults(func=bench)
    args = parser.parse_args(argv)
    problem = core_missing()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
