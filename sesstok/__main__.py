"""Command line: ``python -m sesstok <command>``.

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
        results = [SimpleNamespace(**r, meets_target=r["target"] is None or r["ratio"] >= r["target"])
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sesstok", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
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
