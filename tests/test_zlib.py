"""zlib in sesstok._core (csrc/zlib.c): compression byte-identical to
zlib.compress, decompression identical to zlib.decompress (results and error
messages), and the cap on decompressed size."""

import gc
import os
import tracemalloc
import zlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sesstok import _core

pytestmark = pytest.mark.sanitizer  # CI also runs this file under ASan/UBSan

MiB = 1024 * 1024


@pytest.fixture(autouse=True)
def restore_limits():
    before = _core.get_limits()
    yield
    _core.set_limits(**before)


def outcome(fn, data):
    """What fn(data) does: ("ok", result) or ("error", type, message)."""
    try:
        return ("ok", fn(data))
    except Exception as e:  # compared, not swallowed
        return ("error", type(e), str(e))


# ---- compress ------------------------------------------------------------------


@given(st.binary(max_size=2000))
@example(b"")
@example(b"a" * 100_000)
def test_compress_matches_zlib(data):
    assert _core.zlib_compress(data) == zlib.compress(data)


@pytest.mark.parametrize(
    "data",
    [os.urandom(300_000), bytes(range(256)) * 2000, b"\0" * (5 * MiB), b'{"a":1}' * 30_000],
    ids=["random", "pattern", "zeros", "json"],
)
def test_compress_large_matches_zlib(data):
    assert _core.zlib_compress(data) == zlib.compress(data)
    # the reused stream is reset between calls: order does not matter
    assert _core.zlib_compress(b"x") == zlib.compress(b"x")
    assert _core.zlib_compress(data) == zlib.compress(data)


def test_compress_buffers_and_errors():
    assert _core.zlib_compress(bytearray(b"abc")) == zlib.compress(b"abc")
    assert _core.zlib_compress(memoryview(b"xabc")[1:]) == zlib.compress(b"abc")
    for bad in ("abc", None, 1):
        with pytest.raises(TypeError):
            _core.zlib_compress(bad)


# ---- decompress ---------------------------------------------------------------------


@given(st.binary(max_size=5000))
def test_round_trip(data):
    assert _core.zlib_decompress(_core.zlib_compress(data)) == data
    for level in (0, 1, 9):
        assert _core.zlib_decompress(zlib.compress(data, level)) == data


def test_decompress_grows_its_buffer():
    # ratios far above the initial 4x guess
    for data in (b"\0" * 3_000_000, b"ab" * 1_000_000, os.urandom(1000) * 500):
        assert _core.zlib_decompress(zlib.compress(data)) == data


def test_trailing_data_is_ignored_like_zlib():
    blob = zlib.compress(b"payload") + b"trailing junk"
    assert _core.zlib_decompress(blob) == zlib.decompress(blob) == b"payload"


def _stream(data, **kwargs):
    c = zlib.compressobj(**kwargs)
    return c.compress(data) + c.flush()


CORRUPT = {
    "empty": b"",
    "one-byte": b"x",
    "header-only": b"\x78\x9c",
    "bad-header": b"\x00\x00\x00\x00",
    "bad-method": b"\x79\x9c" + zlib.compress(b"abc")[2:],
    "bad-block-type": b"\x78\x9c\xff\xff",
    "truncated": zlib.compress(b"hello world" * 100)[:-10],
    "bad-checksum": zlib.compress(b"hello world")[:-1] + b"\x00",
    "preset-dictionary": _stream(b"dictionary data", zdict=b"dictionary"),
    "raw-deflate": _stream(b"abc" * 10, wbits=-15),
    "gzip": _stream(b"abc", wbits=31),
}


@pytest.mark.parametrize("data", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_input_raises_like_zlib(data):
    expected = outcome(zlib.decompress, data)
    assert expected[0] == "error", "the fixture is meant to be invalid"
    assert outcome(_core.zlib_decompress, data) == expected


def test_every_truncation_raises_like_zlib():
    blob = zlib.compress(os.urandom(200) + b"z" * 5000)
    for i in range(len(blob)):
        assert outcome(_core.zlib_decompress, blob[:i]) == outcome(zlib.decompress, blob[:i]), i


@given(st.binary(min_size=1, max_size=400), st.data())
def test_mutations_behave_like_zlib(payload, data):
    blob = bytearray(zlib.compress(payload))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    blob = bytes(blob)
    assert outcome(_core.zlib_decompress, blob) == outcome(zlib.decompress, blob)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_behave_like_zlib(blob):
    assert outcome(_core.zlib_decompress, blob) == outcome(zlib.decompress, blob)


def test_decompress_buffers_and_errors():
    blob = zlib.compress(b"abc")
    assert _core.zlib_decompress(bytearray(blob)) == b"abc"
    assert _core.zlib_decompress(memoryview(b"x" + blob)[1:]) == b"abc"
    for bad in ("abc", None, 1):
        with pytest.raises(TypeError):
            _core.zlib_decompress(bad)


# ---- the cap -------------------------------------------------------------------------


def test_default_cap():
    assert _core.DEFAULT_MAX_DECOMPRESSED_SIZE == 64 * MiB
    assert _core.get_limits()["max_decompressed_size"] == 64 * MiB


@pytest.mark.parametrize("size", [999, 1000])
def test_cap_allows_up_to_the_limit(size):
    _core.set_limits(max_decompressed_size=1000)
    data = os.urandom(size // 2) * 2
    assert _core.zlib_decompress(zlib.compress(data)) == data


@pytest.mark.parametrize("payload", [b"\0" * 1001, os.urandom(1001), b"\0" * 10**6], ids=["zeros", "random", "1MB"])
def test_cap_refuses_one_byte_more(payload):
    _core.set_limits(max_decompressed_size=1000)
    with pytest.raises(ValueError, match="exceeds the limit of 1000 bytes") as info:
        _core.zlib_decompress(zlib.compress(payload))
    # PayloadTooLarge (a ValueError) once sesstok.signing installs it
    assert isinstance(info.value, ValueError)


def test_cap_beats_corruption_after_the_limit():
    # a stream that is valid for far longer than the cap, then truncated
    _core.set_limits(max_decompressed_size=1000)
    blob = zlib.compress(b"\0" * 100_000)[:-6]
    with pytest.raises(ValueError, match="exceeds the limit"):
        _core.zlib_decompress(blob)


def test_set_limits_returns_previous_and_validates():
    old = _core.set_limits(max_decompressed_size=12345)
    assert old["max_decompressed_size"] == 64 * MiB
    assert _core.set_limits() == {**old, "max_decompressed_size": 12345}
    assert _core.get_limits()["max_decompressed_size"] == 12345
    for bad in (0, -1):
        with pytest.raises(ValueError):
            _core.set_limits(max_decompressed_size=bad)
    for bad in (0, 100001):
        with pytest.raises(ValueError):
            _core.set_limits(max_json_depth=bad)
    with pytest.raises(TypeError):
        _core.set_limits(max_decompressed_size="1")
    with pytest.raises(TypeError):
        _core.set_limits(1000)  # keyword-only
    with pytest.raises(OverflowError):
        _core.set_limits(max_decompressed_size=2**80)
    assert _core.get_limits()["max_decompressed_size"] == 12345  # failed calls changed nothing


def _zero_bomb(total, chunk=MiB):
    """zlib stream of `total` zero bytes, built without holding them."""
    c = zlib.compressobj()
    block = bytes(chunk)
    parts = [c.compress(block) for _ in range(total // chunk)]
    parts.append(c.compress(bytes(total % chunk)))
    parts.append(c.flush())
    return b"".join(parts)


def test_100mb_bomb_is_refused_within_the_cap():
    bomb = _zero_bomb(100 * 1000 * 1000)
    assert len(bomb) < 200_000
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="exceeds the limit"):
            _core.zlib_decompress(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # at most the cap (plus one byte) is ever allocated, never the 100 MB
    assert peak <= 64 * MiB + MiB, f"peak {peak / MiB:.1f} MiB"


def test_exactly_the_default_cap_is_allowed():
    data_len = 64 * MiB
    out = _core.zlib_decompress(_zero_bomb(data_len))
    assert len(out) == data_len and out.count(0) == data_len
