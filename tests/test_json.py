"""sesstok._core.json_encode / json_decode against the oracle, Python's json.

- json_encode(x) == json.dumps(x, separators=(",", ":")).encode() (and with
  sort_keys), including the errors json.dumps raises.
- json_decode(data) (lax) returns what json.loads(data.decode("latin-1"))
  returns, or raises the same exception with the same message; only nesting
  deeper than max_depth is refused on our own (ValueError).
- json_decode(data, strict=True) accepts RFC 8259 JSON over UTF-8 and returns
  what json.loads returns for it; every hardening rule refuses with a
  ValueError that says what and where.
"""

import collections
import enum
import gc
import json
import math
import sys
import threading
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sesstok import _core

HYP = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
HYP_MORE = settings(HYP, max_examples=max(300, settings.default.max_examples))


# ---- helpers -------------------------------------------------------------------


def py_dumps(obj, sort_keys=False):
    return json.dumps(obj, separators=(",", ":"), sort_keys=sort_keys).encode()


def py_loads_lax(data):
    return json.loads(bytes(data).decode("latin-1"))


def outcome(fn, *args, **kwargs):
    """("ok", canonical result) or ("raise", type, message)."""
    try:
        return ("ok", canon(fn(*args, **kwargs)))
    except Exception as exc:  # noqa: BLE001 - capturing anything is the point
        return ("raise", type(exc), str(exc))


def canon(x):
    """A form where == means "same JSON result": exact types, dict order,
    float bits (nan, -0.0), and nothing else."""
    t = type(x)
    if t is float:
        return ("float", x.hex() if not math.isnan(x) else "nan")
    if t is dict:
        return ("dict", [(canon(k), canon(v)) for k, v in x.items()])
    if t is list:
        return ("list", [canon(v) for v in x])
    if t is bytes:
        return ("bytes", x)
    assert t in (str, int, bool, type(None)), t
    return (t.__name__, x)


def assert_encode_same(obj, sort_keys=False):
    expected = outcome(py_dumps, obj, sort_keys)
    actual = outcome(_core.json_encode, obj, sort_keys=sort_keys)
    assert actual == expected
    return expected


def assert_lax_same(data, **kwargs):
    expected = outcome(py_loads_lax, data)
    actual = outcome(_core.json_decode, data, **kwargs)
    assert actual == expected
    return expected


def strict(data, **kwargs):
    return _core.json_decode(data, strict=True, **kwargs)


def nested_list(depth, leaf=1):
    x = leaf
    for _ in range(depth):
        x = [x]
    return x


# ---- strategies ----------------------------------------------------------------

# every code point, lone surrogates included
any_text = st.text(st.characters(exclude_categories=()), max_size=20)
json_floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
json_ints = st.one_of(
    st.integers(-(2**70), 2**70),
    st.integers(-(10**200), 10**200),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 10**18, -(10**18), 10**19]),
)
leaves = st.one_of(st.none(), st.booleans(), json_ints, json_floats, any_text)
any_keys = st.one_of(any_text, json_ints, json_floats, st.booleans(), st.none())


def containers(children, keys):
    return st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.dictionaries(keys, children, max_size=5),
    )


values = st.recursive(leaves, lambda c: containers(c, any_keys), max_leaves=30)
str_key_values = st.recursive(leaves, lambda c: containers(c, any_text), max_leaves=30)

# what the strict decoder accepts: str keys, finite floats, no lone surrogates
utf8_text = st.text(max_size=20)
strict_leaves = st.one_of(
    st.none(), st.booleans(), json_ints, st.floats(allow_nan=False, allow_infinity=False), utf8_text
)
strict_values = st.recursive(
    strict_leaves,
    lambda c: st.one_of(st.lists(c, max_size=5), st.dictionaries(utf8_text, c, max_size=5)),
    max_leaves=30,
)

WS = " \t\n\r"


@st.composite
def json_texts(draw, values=values):
    """json.dumps output in assorted layouts, with whitespace around it."""
    obj = draw(values)
    indent = draw(st.sampled_from([None, 0, 1, "\t", " \r\n "]))
    item_sep = draw(st.sampled_from([",", ", ", " ,\t", ",\n"]))
    key_sep = draw(st.sampled_from([":", ": ", " : ", "\r:\n"]))
    try:
        text = json.dumps(
            obj,
            indent=indent,
            separators=(item_sep, key_sep),
            ensure_ascii=draw(st.booleans()),
        )
    except (TypeError, ValueError):  # mixed keys sorted, huge ints...
        text = json.dumps(str(draw(st.integers())))
    lead = draw(st.text(WS, max_size=3))
    trail = draw(st.text(WS, max_size=3))
    return lead + text + trail


@st.composite
def mutated(draw, texts):
    """Valid JSON bytes with a few bytes inserted, deleted or replaced."""
    data = bytearray(draw(texts).encode("utf-8", "surrogatepass"))
    interesting = b'{}[],:"\\ 0123456789.eE+-tfnrulsaINy\t\n\r\x00\x1f\x7f\xe9\xff\xc3\xed\xa0'
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        pos = draw(st.integers(0, len(data)))
        byte = draw(st.sampled_from(interesting) | st.integers(0, 255))
        if op == "insert":
            data.insert(pos, byte)
        elif data and pos < len(data):
            if op == "delete":
                del data[pos]
            else:
                data[pos] = byte
    return bytes(data)


json_alphabet = st.text(
    st.sampled_from(list('{}[],:"\\ 0123456789.-+eEtruefalsnNIiyu\t\n\r\x00\x01\x7f\xe9\xff')),
    max_size=40,
).map(lambda s: s.encode("latin-1"))


# ---- encoder: parity -------------------------------------------------------------


@HYP
@given(values, st.booleans())
def test_encode_matches_json_dumps(obj, sort_keys):
    assert_encode_same(obj, sort_keys)


@HYP
@given(str_key_values)
def test_encode_sort_keys_str_keys(obj):
    expected = assert_encode_same(obj, sort_keys=True)
    assert expected[0] == "ok"


@HYP
@given(any_text)
def test_encode_strings(s):
    assert _core.json_encode(s) == py_dumps(s)
    assert _core.json_encode({s: s}) == py_dumps({s: s})
    assert _core.json_encode({s: s, "x": 1}, sort_keys=True) == py_dumps({s: s, "x": 1}, True)


@HYP
@given(json_floats)
def test_encode_floats(x):
    assert _core.json_encode([x, {x: x}]) == py_dumps([x, {x: x}])


def test_encode_every_bmp_character():
    text = "".join(map(chr, range(0x10000)))
    assert _core.json_encode(text) == py_dumps(text)
    astral = "".join(map(chr, range(0x10000, 0x110000, 97))) + "\U0010ffff"
    assert _core.json_encode(astral) == py_dumps(astral)


@pytest.mark.parametrize(
    "obj",
    [
        None,
        True,
        False,
        0,
        -0,
        1,
        -1,
        2**63,
        -(2**63) - 1,
        10**4299,
        -(10**4299),
        0.0,
        -0.0,
        1.0,
        1e16,
        1e-7,
        5e-324,
        1.7976931348623157e308,
        float("nan"),
        float("inf"),
        float("-inf"),
        "",
        "\x00\x1f\x7f\x80\xff",
        '"\\/\b\f\n\r\t',
        "\ud800",
        "\udfff\ud800",
        "\U0001f600",
        "é",
        [],
        {},
        (),
        [[]],
        {"": {}},
        ((1, 2), [3]),
        {1: 1, 1.5: 2, True: 3, False: 4, None: 5, -7: 6, float("nan"): 7, float("-inf"): 8},
        {"b": 1, "a": 2, "\u00e9": 3, "\U0001f600": 4, "\uffff": 5, "A": 6, "": 7},
    ],
    ids=repr,
)
@pytest.mark.parametrize("sort_keys", [False, True])
def test_encode_known_values(obj, sort_keys):
    assert_encode_same(obj, sort_keys)


def test_encode_session_dict():
    session = {
        "_auth_user_id": "1",
        "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
        "_auth_user_hash": "0123456789abcdef" * 4,
        "cart": [1, 2, 3],
    }
    assert _core.json_encode(session) == py_dumps(session)
    assert _core.json_encode(session, sort_keys=True) == py_dumps(session, True)


def test_encode_large_output_grows_buffer():
    obj = {"k%d" % i: ["x" * i, i, i / 7, "\u20ac" * (i % 5)] for i in range(3000)}
    assert _core.json_encode(obj) == py_dumps(obj)
    assert _core.json_encode(obj, sort_keys=True) == py_dumps(obj, True)


def test_encode_shared_references_are_not_circular():
    a = [1, {"x": 2}]
    obj = [a, a, {"p": a, "q": a}, (a, a)]
    assert _core.json_encode(obj) == py_dumps(obj)


# ---- encoder: fallbacks and errors come from json.dumps -----------------------------


class Color(enum.IntEnum):
    RED = 1


class MyStr(str):
    pass


class MyFloat(float):
    def __repr__(self):
        return "MyFloat!"


class MyDict(dict):
    pass


class MyList(list):
    pass


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    "obj",
    [
        Color.RED,
        [Color.RED],
        {Color.RED: Color.RED},
        collections.OrderedDict([("b", 1), ("a", 2)]),
        MyStr("s\u00e9"),
        {MyStr("k"): MyStr("v")},
        MyFloat(1.5),
        {MyFloat(2.5): 1},
        MyDict(a=1),
        MyList([1, 2]),
        Point(1, 2),
        {"nested": [collections.OrderedDict(x=[Color.RED])]},
    ],
    ids=repr,
)
@pytest.mark.parametrize("sort_keys", [False, True])
def test_encode_subclasses_fall_back(obj, sort_keys):
    assert assert_encode_same(obj, sort_keys)[0] == "ok"


@pytest.mark.parametrize(
    "obj",
    [
        object(),
        [1, object()],
        {"a": {1, 2}},
        {b"bytes": 1},
        {(1, 2): 3},
        b"bytes",
        1j,
        {"ok": 1, 2j: 1},
        [10**5000],
        {10**5000: 1},
        {"a": [1, 2], 10**5000: {object()}},
    ],
    ids=lambda o: type(o).__name__,
)
@pytest.mark.parametrize("sort_keys", [False, True])
def test_encode_errors_are_json_dumps_errors(obj, sort_keys):
    assert assert_encode_same(obj, sort_keys)[0] == "raise"


def test_encode_unserializable_type_error_message():
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        _core.json_encode({"a": object()})


def test_encode_huge_int_value_error():
    with pytest.raises(ValueError, match="Exceeds the limit"):
        _core.json_encode({"n": 10**5000})


@pytest.mark.parametrize("sort_keys", [False, True])
def test_encode_mixed_keys(sort_keys):
    assert_encode_same({1: "a", "b": 2, None: 3}, sort_keys)
    assert_encode_same({2: "a", 1: 2}, sort_keys)


def test_encode_circular_references():
    a = []
    a.append(a)
    d = {}
    d["self"] = [1, {"back": d}]
    wide = []
    wide.extend([wide, wide])
    for obj in (a, d, wide, [[a]]):
        with pytest.raises(ValueError, match="Circular reference detected"):
            _core.json_encode(obj)
        assert_encode_same(obj)


@pytest.mark.parametrize("depth", [10, 500, 900, 2000, 20000])
def test_encode_deep_nesting(depth):
    for obj in (nested_list(depth), nested_list(depth, {})):
        result = assert_encode_same(obj)  # where json.dumps gives up depends on the version
        if depth >= 20000:
            assert result[1] is RecursionError


def test_encode_nesting_near_the_recursion_limit():
    # C gives up earlier than json.dumps would, never later
    for depth in range(940, 1010, 3):
        assert_encode_same(nested_list(depth))


def test_encode_arguments():
    assert _core.json_encode([1], sort_keys=1) == b"[1]"
    with pytest.raises(TypeError):
        _core.json_encode()
    with pytest.raises(TypeError):
        _core.json_encode([1], True)
    with pytest.raises(TypeError):
        _core.json_encode([1], sorted=True)


# ---- lax decoder: parity with json.loads(data.decode("latin-1")) ----------------------


@HYP
@given(json_texts())
def test_lax_decode_json_texts(text):
    data = text.encode("utf-8", "surrogatepass")
    assert assert_lax_same(data)[0] == "ok"
    if all(ord(c) < 256 for c in text):
        assert assert_lax_same(text.encode("latin-1"))[0] == "ok"


@HYP
@given(values)
def test_lax_round_trip_of_encoder_output(obj):
    try:
        data = py_dumps(obj)
    except (TypeError, ValueError):
        return
    assert assert_lax_same(_core.json_encode(obj))[0] == "ok"
    assert _core.json_encode(obj) == data


@HYP_MORE
@given(mutated(json_texts()))
def test_lax_decode_mutated_texts(data):
    assert_lax_same(data)


@HYP_MORE
@given(json_alphabet)
def test_lax_decode_json_alphabet(data):
    assert_lax_same(data)


@HYP
@given(st.binary(max_size=64))
def test_lax_decode_arbitrary_bytes(data):
    assert_lax_same(data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "b": 2, "a": 3}',
        b'{"a": 1, "b": 2, "a": {"a": 1, "a": [2]}}',
        b"[12345678901234567890123456789012345678901234567890, -1" + b"0" * 400 + b"]",
        b"-0",
        b"0",
        b"-0.0",
        b"1E5",
        b"1e-7",
        b"1E+2",
        b"-1.5e-0",
        b"2.5E400",
        b"-1e400",
        b"1e-400",
        b"123456789012345678",
        b"1234567890123456789",
        b"-999999999999999999",
        b"9223372036854775807",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"0." + b"1" * 200,
        b"1" + b"0" * 4300,
        b"1" + b"0" * 4301,
        b'"\\ud800"',
        b'"\\udc00"',
        b'"\\ud83d\\ude00"',
        b'"\\uD83D\\uDE00"',
        b'"\\ud83d"',
        b'"\\ud83d\\u0041"',
        b'"\\ud83dx"',
        b'"\\ud83d\\n"',
        b'"\\ud83d\\ud83d\\ude00"',
        b'"\\ud83d\\uZZZZ"',
        b'"\\ud83d\\ude0"',
        b'"\\u12"',
        b'"\\u00e9\\u0000\\/"',
        b'"\xe9\xff\x80\x7f"',
        b'{"\xe9": "\xc3\xa9"}',
        b'"a\x00b"',
        b'"a\x1fb"',
        b'"\\x"',
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"[NaN, Infinity, -Infinity]",
        b"nan",
        b"-NaN",
        b"infinity",
        b"-Inf",
        b"[1,]",
        b'{"a":1,}',
        b"[1 2]",
        b"",
        b" ",
        b"\t\n\r ",
        b"\x0c1",
        b"1\x0c",
        b"\xa01",
        b"01",
        b"-",
        b"-a",
        b"1.",
        b".5",
        b"1e",
        b"1e+",
        b"+1",
        b"[",
        b"]",
        b"{",
        b'{"a"',
        b'{"a":',
        b'{"a" 1}',
        b"{1:2}",
        b"[1]x",
        b"[1] [2]",
        b"tru",
        b"nul",
        b"falsey",
        b'"unterminated',
        b'"ends with backslash\\',
        b"\xef\xbb\xbf[]",
        b'  {"a" :\t[ 1 , 2 ] , "b"\n:\r{ } }  ',
    ],
    ids=repr,
)
def test_lax_decode_known_inputs(data):
    assert_lax_same(data)


def test_lax_decode_values():
    d = _core.json_decode(b'{"a": 1, "b": 2, "a": 3}')
    assert list(d.items()) == [("a", 3), ("b", 2)]
    assert _core.json_decode(b"-0") == 0 and type(_core.json_decode(b"-0")) is int
    assert _core.json_decode(b"1E5") == 100000.0
    assert _core.json_decode(b"1e-7") == 1e-7
    assert _core.json_decode(b'"\\ud800"') == "\ud800"
    assert _core.json_decode(b'"\\ud83d\\ude00"') == "\U0001f600"
    assert _core.json_decode(b'"\xe9\xff"') == "\u00e9\u00ff"
    assert _core.json_decode('["\u00e9"]') == ["\u00e9"]  # str: its latin-1 bytes
    assert _core.json_decode(bytearray(b"[1]")) == [1]
    assert _core.json_decode(memoryview(b"xx[2]")[2:]) == [2]
    big = 10**300
    assert _core.json_decode(str(big).encode()) == big


def test_lax_nan_infinity_are_json_loads_objects():
    ours = _core.json_decode(b"[NaN, Infinity, -Infinity]")
    theirs = json.loads("[NaN, Infinity, -Infinity]")
    assert all(a is b for a, b in zip(ours, theirs))


def test_lax_errors_are_json_loads_errors():
    with pytest.raises(json.JSONDecodeError) as info:
        _core.json_decode(b'{"a": 1,}')
    assert str(info.value) == str(pytest.raises(json.JSONDecodeError, json.loads, '{"a": 1,}').value)
    with pytest.raises(ValueError, match="Exceeds the limit"):
        _core.json_decode(b"1" * 5000)


def test_lax_int_digit_limit_follows_sys_setting():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        assert_lax_same(b"[" + b"7" * 1001 + b"]")
        assert_lax_same(b"[" + b"7" * 1000 + b"]")
    finally:
        sys.set_int_max_str_digits(old)


def test_lax_str_input():
    assert _core.json_decode('{"\u00ff": "\u00e9"}') == {"\u00ff": "\u00e9"}
    with pytest.raises(UnicodeEncodeError):
        _core.json_decode('["\u20ac"]')
    with pytest.raises(TypeError, match="bytes-like or str"):
        _core.json_decode(12)


def test_lax_depth_limit():
    for depth in (1, 5, 30, 100):
        at = nested_list(depth)
        data = json.dumps(at).encode()
        assert _core.json_decode(data, max_depth=depth) == at
        over = json.dumps(nested_list(depth + 1)).encode()
        with pytest.raises(ValueError, match=f"JSON nesting exceeds the limit of {depth} levels"):
            _core.json_decode(over, max_depth=depth)
        objs = ('{"a":' * depth + "1" + "}" * depth).encode()
        assert _core.json_decode(objs, max_depth=depth) == json.loads(objs)
        with pytest.raises(ValueError, match="nesting exceeds"):
            _core.json_decode(b"[" + objs + b"]", max_depth=depth)


def test_lax_default_depth_is_the_module_limit():
    limit = _core.get_limits()["max_json_depth"]
    assert limit == _core.DEFAULT_MAX_JSON_DEPTH == 512
    assert _core.json_decode(b"[" * limit + b"]" * limit) == nested_list(limit - 1, [])
    with pytest.raises(ValueError, match="limit of 512 levels"):
        _core.json_decode(b"[" * (limit + 1) + b"]" * (limit + 1))
    old = _core.set_limits(max_json_depth=10)
    try:
        with pytest.raises(ValueError, match="limit of 10 levels"):
            _core.json_decode(b"[" * 11 + b"]" * 11)
        assert _core.json_decode(b"[" * 11 + b"]" * 11, max_depth=11)
    finally:
        _core.set_limits(**old)


def test_lax_depth_is_checked_before_a_later_syntax_error():
    # depth is a limit on what was read so far; an earlier syntax error wins
    with pytest.raises(ValueError, match="nesting exceeds"):
        _core.json_decode(b"[[[[[x", max_depth=3)
    with pytest.raises(json.JSONDecodeError):
        _core.json_decode(b"[x[[[[", max_depth=3)


@pytest.mark.parametrize("bad", [0, -1, 100001, "3", 1.5])
def test_decode_max_depth_argument(bad):
    with pytest.raises((ValueError, TypeError)):
        _core.json_decode(b"[]", max_depth=bad)


def test_lax_memoized_keys_are_correct():
    docs = [{"id": i, "name": "n%d" % i, "tags": ["a", "b"], "k" * 40: i} for i in range(200)]
    data = json.dumps(docs).encode()
    assert _core.json_decode(data) == docs
    colliding = {chr(0x41 + i) * (i % 7 + 1): i for i in range(60)}
    data = json.dumps([colliding, colliding]).encode()
    assert _core.json_decode(data) == [colliding, colliding]


def test_member_names_cached_across_calls_stay_correct():
    # names that share length, first, middle and last byte land in one slot
    names = ["k%04dx" % i for i in range(0, 10000, 101)] + ["_auth_user_id", "cart", "a" * 32, "b" * 33]
    for rnd in range(3):
        for i, name in enumerate(names):
            doc = {name: i, names[(i + rnd) % len(names)]: [name], "\u00e9" + name: {name: rnd}}
            data = json.dumps(doc).encode()
            assert canon(_core.json_decode(data)) == canon(json.loads(data))
            assert canon(_core.json_decode(data, strict=True)) == canon(json.loads(data))
    first = _core.json_decode(b'{"cart": 1}')
    again = _core.json_decode(b'{"cart": 2}')
    assert list(first) == list(again) == ["cart"]


# ---- strict decoder --------------------------------------------------------------------

RFC8259_EXAMPLES = [
    b"""{
      "Image": {
          "Width":  800,
          "Height": 600,
          "Title":  "View from 15th Floor",
          "Thumbnail": {
              "Url":    "http://www.example.com/image/481989943",
              "Height": 125,
              "Width":  100
          },
          "Animated" : false,
          "IDs": [116, 943, 234, 38793]
        }
    }""",
    b"""[
      {
         "precision": "zip",
         "Latitude":  37.7668,
         "Longitude": -122.3959,
         "Address":   "",
         "City":      "SAN FRANCISCO",
         "State":     "CA",
         "Zip":       "94107",
         "Country":   "US"
      },
      {
         "precision": "zip",
         "Latitude":  37.371991,
         "Longitude": -122.026020,
         "Address":   "",
         "City":      "SUNNYVALE",
         "State":     "CA",
         "Zip":       "94085",
         "Country":   "US"
      }
    ]""",
    b'"Hello world!"',
    b"42",
    b"true",
    b"null",
    b'{"alg":"HS256","typ":"JWT"}',
    b'{"sub":"1234567890","name":"John Doe","iat":1516239022}',
    '{"name": "J\u00f6rg \U0001f600", "x": "\\ud83d\\ude00\\u00e9\\u0000"}'.encode(),
    b'["\\"\\\\\\/\\b\\f\\n\\r\\t", -0, -0.0, 1E5, 1e-7, 0.5e+3, 1e-400, 123456789012345678901234567890]',
    b'"\x7f"',
    b" \t\r\n[ ] \t\r\n",
]


@pytest.mark.parametrize("data", RFC8259_EXAMPLES, ids=range(len(RFC8259_EXAMPLES)))
def test_strict_accepts_rfc8259(data):
    assert canon(strict(data)) == canon(json.loads(data.decode("utf-8")))
    assert canon(strict(data.decode("utf-8"))) == canon(json.loads(data.decode("utf-8")))


@HYP
@given(strict_values, st.booleans())
def test_strict_round_trip(obj, ensure_ascii):
    data = json.dumps(obj, ensure_ascii=ensure_ascii).encode("utf-8")
    assert canon(strict(data)) == canon(json.loads(data))


@HYP_MORE
@given(st.one_of(mutated(json_texts(strict_values)), json_alphabet, st.binary(max_size=64)))
def test_strict_accepts_only_what_json_loads_accepts(data):
    """Whatever strict accepts, json.loads of the UTF-8 text accepts with the
    same result; whatever it refuses is a ValueError saying where."""
    try:
        result = strict(data)
    except ValueError as exc:
        assert str(exc).startswith("Invalid JSON: ")
        assert " at offset " in str(exc)
        return
    assert canon(result) == canon(json.loads(data.decode("utf-8")))


@pytest.mark.parametrize(
    "data, message",
    [
        # invalid UTF-8
        (b'"\xff"', "invalid UTF-8 at offset 1"),
        (b'"abc\x80"', "invalid UTF-8 at offset 4"),
        (b'"\xc0\xaf"', "invalid UTF-8"),  # overlong '/'
        (b'"\xc1\xbf"', "invalid UTF-8"),
        (b'"\xe0\x80\xaf"', "invalid UTF-8"),
        (b'"\xf0\x80\x80\xaf"', "invalid UTF-8"),
        (b'"\xed\xa0\x80"', "invalid UTF-8"),  # encoded surrogate U+D800
        (b'"\xed\xbf\xbf"', "invalid UTF-8"),  # U+DFFF
        (b'"\xf4\x90\x80\x80"', "invalid UTF-8"),  # above U+10FFFF
        (b'"\xf5\x80\x80\x80"', "invalid UTF-8"),
        (b'"\xe2\x82"', "invalid UTF-8"),  # truncated
        (b'"\xe2\x82', "invalid UTF-8"),
        (b'{"\xe9":1}', "invalid UTF-8 at offset 2"),  # latin-1 in a name
        (b"\xef\xbb\xbf{}", "expecting a value at offset 0"),  # BOM
        # escapes
        (b'"\\ud800"', "lone surrogate at offset 1"),
        (b'"\\udc00"', "lone surrogate"),
        (b'"\\ud800\\u0041"', "lone surrogate"),
        (b'"\\ud800\\ud800"', "lone surrogate"),
        (b'"\\ud800x"', "lone surrogate"),
        (b'"a\\x"', "invalid backslash escape at offset 2"),
        (b'"\\U0041"', "invalid backslash escape"),
        (b'"\\u00g1"', "invalid \\uXXXX escape"),
        (b'"\\u12"', "invalid \\uXXXX escape"),
        # raw control characters
        (b'"a\x01b"', "unescaped control character in string at offset 2"),
        (b'"\n"', "unescaped control character"),
        (b'"\x00"', "unescaped control character"),
        (b'{"a\tb":1}', "unescaped control character"),
        # non-finite
        (b"NaN", "NaN and Infinity are not JSON numbers at offset 0"),
        (b"[1, Infinity]", "NaN and Infinity are not JSON numbers at offset 4"),
        (b'{"x": -Infinity}', "NaN and Infinity"),
        (b"1e400", "number out of range of a double at offset 0"),
        (b"[-1.5e309]", "number out of range of a double at offset 1"),
        # numbers
        (b"1" + b"0" * 4300, "integer with more than 4300 digits at offset 0"),
        (b"[-1" + b"0" * 4300 + b"]", "integer with more than 4300 digits at offset 1"),
        (b"01", "number with a leading zero"),
        (b"-01", "number with a leading zero"),
        (b"1.", "invalid number"),
        (b"1.e5", "invalid number"),
        (b"1e", "invalid number"),
        (b"1e+", "invalid number"),
        (b"-", "invalid number"),
        (b"-x", "invalid number"),
        (b".5", "expecting a value"),
        (b"+1", "expecting a value"),
        # duplicates
        (b'{"exp":1,"exp":2}', "duplicate member name 'exp' at offset 9"),
        (b'{"a":1,"a":1}', "duplicate member name 'a'"),
        (b'{"a":1,"\\u0061":null}', "duplicate member name 'a' at offset 7"),
        (b'[{"x":{"y":1,"z":2,"y":3}}]', "duplicate member name 'y' at offset 19"),
        # structure
        (b"", "expecting a value at offset 0"),
        (b"   ", "expecting a value at offset 3"),
        (b"{} x", "extra data after the JSON value at offset 3"),
        (b"{}{}", "extra data"),
        (b"1 2", "extra data"),
        (b"[1,]", "trailing comma at offset 2"),
        (b'{"a":1,}', "trailing comma at offset 6"),
        (b"[1 2]", "expecting ',' or ']' in array at offset 3"),
        (b'{"a":1 "b":2}', "expecting ',' or '}' in object at offset 7"),
        (b"{1:2}", "expecting a member name in double quotes at offset 1"),
        (b"{'a':2}", "expecting a member name"),
        (b'{"a" 1}', "expecting ':' after a member name at offset 5"),
        (b'"abc', "unterminated string at offset 0"),
        (b'["abc\\', "unterminated string at offset 1"),
        (b"[", "expecting a value at offset 1"),
        (b"tru", "expecting a value"),
        (b"True", "expecting a value"),
        # NUL outside strings is just not JSON
        (b"{}\x00", "extra data after the JSON value at offset 2"),
        (b"\x00{}", "expecting a value at offset 0"),
        (b"[1,\x002]", "expecting a value at offset 3"),
        (b'{"a"\x00:1}', "expecting ':'"),
    ],
    ids=repr,
)
def test_strict_rejections(data, message):
    with pytest.raises(ValueError) as info:
        strict(data)
    assert type(info.value) is ValueError
    assert str(info.value).startswith("Invalid JSON: ")
    assert message in str(info.value)


def test_strict_depth_limit():
    assert strict(b"[[[1]]]", max_depth=3) == [[[1]]]
    with pytest.raises(ValueError, match="nesting exceeds the limit of 3 levels at offset 3"):
        strict(b"[[[[1]]]]", max_depth=3)
    limit = _core.get_limits()["max_json_depth"]
    assert strict(b"[" * limit + b"]" * limit)
    with pytest.raises(ValueError, match=f"limit of {limit} levels"):
        strict(b"[" * (limit + 1) + b"]" * (limit + 1))


def test_strict_hostile_inputs_stay_bounded():
    # megabytes of openers: refused at max_depth, before reading the rest
    with pytest.raises(ValueError, match="nesting exceeds"):
        strict(b"[" * 2_000_000)
    with pytest.raises(ValueError, match="nesting exceeds"):
        strict(b'{"a":' * 200_000, max_depth=100_000)
    # the explicit stack handles the deepest allowed nesting without recursion
    deep = b"[" * 100_000 + b"]" * 100_000
    assert strict(deep, max_depth=100_000) is not None
    assert _core.json_decode(deep, max_depth=100_000) is not None
    with pytest.raises(ValueError, match="unterminated string"):
        strict(b'"' + b"a" * 1_000_000)
    with pytest.raises(ValueError, match="4300 digits"):
        strict(b"9" * 1_000_000)
    assert strict(b"1" * 4300) == int("1" * 4300)
    assert strict(b"0." + b"1" * 100_000) == float("0." + "1" * 100_000)


def test_strict_never_raises_int_digit_limit_error():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        with pytest.raises(ValueError, match="Invalid JSON: integer of 2000 digits exceeds"):
            strict(b"[" + b"3" * 2000 + b"]")
        assert strict(b"3" * 1000) == int("3" * 1000)
    finally:
        sys.set_int_max_str_digits(old)


def test_strict_str_input():
    assert strict('{"k": "\u20ac\U0001f600"}') == {"k": "\u20ac\U0001f600"}
    with pytest.raises(ValueError):  # UnicodeEncodeError is a ValueError
        strict('"\ud800"')


def test_strict_returns_fresh_objects():
    a = strict(b'{"a": [1, {"b": 2}], "c": "d"}')
    b = strict(b'{"a": [1, {"b": 2}], "c": "d"}')
    assert a == b and a is not b and a["a"] is not b["a"]
    a["a"].append(3)
    assert b["a"] == [1, {"b": 2}]


# ---- C-specific: references, memory, threads ----------------------------------------

LEAK_INPUTS = [
    {"_auth_user_id": "1", "hash": "ab" * 32, "cart": [1, 2, 3], "f": 1.5, "big": 10**40},
    ["\u00e9\U0001f600\ud800", None, True, (1, 2), {1: 2, None: 3}],
    [Color.RED, collections.OrderedDict(a=1)],  # fallback
]
LEAK_DATA = [
    b'{"a": [1, 2.5, "x\\u00e9", {"b": null}], "a": true, "n": 123456789012345678901234}',
    b"[NaN, -Infinity]",
    b'{"a": 1,}',  # JSONDecodeError from json.loads
    b"[[[[[[[[[[[[1]]]]]]]]]]]]",  # too deep below
    b'"\\ud83d\\ude00\xe9"',
]


def exercise_once():
    for obj in LEAK_INPUTS:
        _core.json_encode(obj)
        _core.json_encode(obj, sort_keys=isinstance(obj, dict) and all(type(k) is str for k in obj))
    for obj in ({"x": object()}, [10**5000]):
        try:
            _core.json_encode(obj)
        except (TypeError, ValueError):
            pass
    cyc = []
    cyc.append(cyc)
    try:
        _core.json_encode(cyc)
    except ValueError:
        pass
    for data in LEAK_DATA:
        for kwargs in ({}, {"strict": True}):
            try:
                _core.json_decode(data, max_depth=8, **kwargs)
            except ValueError:
                pass
    try:
        _core.json_decode(b'{"a":1,"a":2}', strict=True)
    except ValueError:
        pass


def test_no_reference_or_memory_leak():
    for _ in range(200):
        exercise_once()
    gc.collect()
    if hasattr(sys, "gettotalrefcount"):  # debug builds only
        before = sys.gettotalrefcount()
        for _ in range(2000):
            exercise_once()
        gc.collect()
        assert sys.gettotalrefcount() - before < 200
        return
    tracemalloc.start()
    try:
        # a whole first window warms up caches and allocator state (under
        # PYTHONMALLOC=malloc too); a leak grows again in the second
        growth = []
        for _ in range(2):
            gc.collect()
            before, _ = tracemalloc.get_traced_memory()
            for _ in range(10000):
                exercise_once()
            gc.collect()
            after, _ = tracemalloc.get_traced_memory()
            growth.append(after - before)
    finally:
        tracemalloc.stop()
    # one leaked small object per iteration would be > 300 KB per window
    assert growth[1] < 64 * 1024, growth


def test_threads():
    docs = [{"user": str(i), "items": list(range(i % 7)), "name": "n\u00e9" * (i % 3), "f": i / 3} for i in range(64)]
    expected = [(py_dumps(d), py_dumps(d, True)) for d in docs]
    errors = []
    barrier = threading.Barrier(8)

    def work(t):
        try:
            barrier.wait()
            for round_ in range(300):
                i = (t * 31 + round_) % len(docs)
                data = _core.json_encode(docs[i])
                assert data == expected[i][0]
                assert _core.json_encode(docs[i], sort_keys=True) == expected[i][1]
                assert _core.json_decode(data) == docs[i]
                assert _core.json_decode(data, strict=True) == docs[i]
                with pytest.raises(ValueError):
                    _core.json_decode(data + b",", strict=True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
