"""Command line: ``python -m sesstok <command>``.

    python -m sesstok demo [--port N] [--db PATH] [--redis URL]
    python -m sesstok inspect VALUE [--key-file F | --key-env NAME | --key K] [--salt S] [--cookie NAME] [--json]
    python -m sesstok bench [--quick] [--json] [--only signing,jwt] [--update-readme README.md]
"""

import argparse
import json
import os
import subprocess
import sys


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


def bench(args):
    directory = _benchmarks_dir()
    if directory is None:
        raise SystemExit(
            "python -m sesstok bench runs the benchmarks of a source checkout: "
            "run it from the repository root (the folder with benchmarks/)."
        )
    sys.path.insert(0, directory)
    from _harness import format_table

    reports = []
    for name in _bench_scripts(directory, args.only):
        command = [sys.executable, os.path.join(directory, f"bench_{name}.py"), "--json"]
        if args.quick:
            command.append("--quick")
        print(f"running bench_{name}.py ...", file=sys.stderr)
        proc = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"bench_{name}.py failed (exit {proc.returncode})")
        reports.append(json.loads(proc.stdout))
    if args.json:
        print(json.dumps(reports, indent=2))
        return 0
    text = render(reports, format_table)
    print(text)
    if args.update_readme:
        update_readme(args.update_readme, text)
    return 0


def render(reports, format_table):
    from types import SimpleNamespace

    out = []
    for report in reports:
        results = [SimpleNamespace(**{**r, "meets_target": r.get("target") is None or r["ratio"] >= r["target"]})
                   for r in report["results"]]
        out.append(format_table(results, report["title"]))
        out.append("")
    if reports:
        env = reports[0]["environment"]
        versions = ", ".join(f"{k} {v}" for k, v in env.items()
                             if k in ("django", "pyjwt", "djangorestframework", "djangorestframework-simplejwt",
                                      "cryptography") and v)
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sesstok", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    d = commands.add_parser("demo", help="run the demo site on 127.0.0.1 (SQLite, created on first run)",
                            description="Run the demo site: every login flow, on 127.0.0.1. Not for production.")
    d.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000; 0: any free port)")
    d.add_argument("--db", default="sesstok-demo.sqlite3",
                   help="SQLite database file, created and migrated on first run (default ./sesstok-demo.sqlite3)")
    d.add_argument("--redis", metavar="URL",
                   help="keep revocations, the user cache and login counters in Redis (default: in-process)")
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
    i.add_argument("--cookie", metavar="NAME",
                   help="the value is the signed cookie NAME (set_signed_cookie); the key is the SECRET_KEY")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=inspect)
    b = commands.add_parser("bench", help="benchmarks side by side with Django/PyJWT/DRF/SimpleJWT")
    b.add_argument("--quick", action="store_true", help="fewer rounds (noisier, faster)")
    b.add_argument("--json", action="store_true", help="machine-readable output")
    b.add_argument("--only", help="comma-separated benchmark names (e.g. signing,jwt)")
    b.add_argument("--update-readme", metavar="README", help="rewrite the benchmark section of README")
    b.set_defaults(func=bench)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
