"""Build script for the sesstok._core C extension.

OpenSSL (libcrypto) and zlib are located with pkg-config. Override with the
environment variables SESSTOK_OPENSSL_INCLUDE / SESSTOK_OPENSSL_LIBDIR (and
SESSTOK_ZLIB_INCLUDE / SESSTOK_ZLIB_LIBDIR) when pkg-config is unavailable or
points at the wrong installation. SESSTOK_SANITIZE=1 builds with
AddressSanitizer and UndefinedBehaviorSanitizer (for CI; see .ci/run).
SESSTOK_NO_FAST_HMAC=1 compiles out the SHA-1/SHA-2 HMAC fast path
(csrc/hmac_sha.c), so every HMAC takes the EVP path (CI builds it too).

A failed build is an error: there is no pure-Python fallback.
"""

import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, setup


def pkg_config(package, option):
    try:
        out = subprocess.run(
            ["pkg-config", option, package],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return shlex.split(out)


def dependency(package, env_prefix, default_lib):
    """Return (include_dirs, library_dirs, libraries) for one dependency."""
    include = os.environ.get(env_prefix + "_INCLUDE")
    libdir = os.environ.get(env_prefix + "_LIBDIR")
    if include or libdir:
        return (
            [include] if include else [],
            [libdir] if libdir else [],
            [default_lib],
        )
    cflags = pkg_config(package, "--cflags")
    libs = pkg_config(package, "--libs")
    include_dirs = [f[2:] for f in cflags if f.startswith("-I")]
    library_dirs = [f[2:] for f in libs if f.startswith("-L")]
    libraries = [f[2:] for f in libs if f.startswith("-l")] or [default_lib]
    return include_dirs, library_dirs, libraries


def extension():
    include_dirs, library_dirs, libraries = [], [], []
    for package, prefix, lib in (
        ("libcrypto", "SESSTOK_OPENSSL", "crypto"),
        ("zlib", "SESSTOK_ZLIB", "z"),
    ):
        inc, libd, libs = dependency(package, prefix, lib)
        include_dirs += inc
        library_dirs += libd
        libraries += libs

    extra_compile_args = ["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    extra_link_args = []
    if os.environ.get("SESSTOK_SANITIZE") == "1":
        # -fno-wrapv: CPython's own flags include -fwrapv, which would hide
        # signed overflow from UBSan
        flags = [
            "-O1",
            "-g",
            "-fno-omit-frame-pointer",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=undefined",
            "-fno-wrapv",
        ]
        extra_compile_args += flags
        extra_link_args += ["-fsanitize=address,undefined"]
    elif os.environ.get("SESSTOK_DEBUG") == "1":
        extra_compile_args += ["-O0", "-g"]
    else:
        extra_compile_args += ["-O2"]

    define_macros = [("OPENSSL_API_COMPAT", "0x30000000L"), ("OPENSSL_NO_DEPRECATED", "1")]
    if os.environ.get("SESSTOK_NO_FAST_HMAC") == "1":
        define_macros.append(("SESSTOK_NO_FAST_HMAC", "1"))

    return Extension(
        "sesstok._core",
        sources=sorted(glob.glob(os.path.join("csrc", "*.c"))),
        depends=sorted(glob.glob(os.path.join("csrc", "*.h"))),
        include_dirs=["csrc"] + include_dirs,
        library_dirs=library_dirs,
        libraries=libraries,
        define_macros=define_macros,
        extra_compile_args=extra_compile_args,
        extra_link_args=extra_link_args,
    )


if sys.platform == "win32":
    raise SystemExit("sesstok builds from source on Linux and macOS; see README.")

setup(ext_modules=[extension()])
