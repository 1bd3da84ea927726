/* json_scan.c - Python-free JSON tokenizer and grammar driver. See
 * json_scan.h. Where LAX mode mirrors CPython, the original is
 * Modules/_json.c (scanstring_unicode, scan_once_unicode,
 * _match_number_unicode): every input LAX accepts, json.loads accepts with
 * the same result, and every input it refuses, json.loads refuses. */
#include "json_scan.h"

#include <stdlib.h>
#include <string.h>

static const char *const error_text[SESSTOK_JSON_E_COUNT] = {
    [SESSTOK_JSON_OK] = "no error",
    [SESSTOK_JSON_E_EXPECTING_VALUE] = "expecting a value",
    [SESSTOK_JSON_E_UNTERMINATED_STRING] = "unterminated string",
    [SESSTOK_JSON_E_CONTROL_CHAR] = "unescaped control character in string",
    [SESSTOK_JSON_E_BAD_ESCAPE] = "invalid backslash escape",
    [SESSTOK_JSON_E_BAD_UNICODE_ESCAPE] = "invalid \\uXXXX escape",
    [SESSTOK_JSON_E_LONE_SURROGATE] = "\\u escape of a lone surrogate",
    [SESSTOK_JSON_E_BAD_UTF8] = "invalid UTF-8",
    [SESSTOK_JSON_E_BAD_NUMBER] = "invalid number",
    [SESSTOK_JSON_E_LEADING_ZERO] = "number with a leading zero",
    [SESSTOK_JSON_E_INT_TOO_LONG] = "integer with more than 4300 digits",
    [SESSTOK_JSON_E_NON_FINITE] = "NaN and Infinity are not JSON numbers",
    [SESSTOK_JSON_E_EXPECTING_NAME] =
        "expecting a member name in double quotes",
    [SESSTOK_JSON_E_EXPECTING_COLON] = "expecting ':' after a member name",
    [SESSTOK_JSON_E_EXPECTING_OBJECT_END] = "expecting ',' or '}' in object",
    [SESSTOK_JSON_E_EXPECTING_ARRAY_END] = "expecting ',' or ']' in array",
    [SESSTOK_JSON_E_TRAILING_COMMA] = "trailing comma",
    [SESSTOK_JSON_E_EXTRA_DATA] = "extra data after the JSON value",
    [SESSTOK_JSON_E_TOO_DEEP] = "nesting too deep",
    [SESSTOK_JSON_E_NOMEM] = "out of memory",
    [SESSTOK_JSON_E_HANDLER] = "stopped by the handler",
};

const char *
sesstok_json_strerror(int code)
{
    if (code < 0 || code >= SESSTOK_JSON_E_COUNT) {
        return "unknown error";
    }
    return error_text[code];
}

/* ---- character classes ---------------------------------------------------- */

#define C_WS 1 /* JSON whitespace: ' ' '\t' '\n' '\r' */
#define C_PLAIN                                                               \
    2 /* stands for itself in a string: 0x20-0x7f except '"' and '\\' */
#define C_DIGIT 4 /* '0'-'9' */

static const unsigned char cclass[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    3, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x20 */
    6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 2, 2, 2, /* 0x30 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x40 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2, 2, /* 0x50 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x60 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xa0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xb0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xc0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xd0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xe0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0xf0 */
};

static inline size_t
skip_ws(const unsigned char *d, size_t n, size_t i)
{
    while (i < n && (cclass[d[i]] & C_WS)) {
        i++;
    }
    return i;
}

static inline int
is_digit(const unsigned char *d, size_t n, size_t i)
{
    return i < n && (cclass[d[i]] & C_DIGIT);
}

/* Whether none of the 8 bytes in x is '"', '\\', below 0x20 or above 0x7f
 * (all C_PLAIN). Exact: for the lowest offending byte of each kind no borrow
 * comes from below, so its subtraction sets that byte's high bit. */
static inline int
plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"');
    uint64_t b = x ^ (ones * '\\');
    return (((x - ones * 0x20) | (q - ones) | (b - ones) | x) & highs) == 0;
}

/* The PyUnicode_New maxchar argument that fits code point c. */
static inline uint32_t
range_of(uint32_t c)
{
    return c < 0x80      ? 0x7f
           : c < 0x100   ? 0xff
           : c < 0x10000 ? 0xffff
                         : 0x10ffff;
}

/* Four hex digits at p (the caller checked they are in bounds); -1 if one
 * is not a hex digit. Both cases, as scanstring_unicode. */
static inline int
hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (uint32_t)(c - '0');
        }
        else if (c >= 'a' && c <= 'f') {
            v |= (uint32_t)(c - 'a' + 10);
        }
        else if (c >= 'A' && c <= 'F') {
            v |= (uint32_t)(c - 'A' + 10);
        }
        else {
            return -1;
        }
    }
    *out = v;
    return 0;
}

#define IS_HIGH_SURROGATE(c) ((c) >= 0xD800 && (c) <= 0xDBFF)
#define IS_LOW_SURROGATE(c)  ((c) >= 0xDC00 && (c) <= 0xDFFF)

/* Decode one well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) starting at d[i] >= 0x80. Return its
 * length and set *cp, or 0 if it is not well formed. */
static inline size_t
utf8_decode(const unsigned char *d, size_t n, size_t i, uint32_t *cp)
{
    unsigned char b0 = d[i];
    size_t avail = n - i;
    if (b0 < 0xC2) {
        return 0; /* continuation byte, or overlong C0/C1 lead */
    }
    if (b0 < 0xE0) {
        if (avail < 2 || (d[i + 1] & 0xC0) != 0x80) {
            return 0;
        }
        *cp = ((uint32_t)(b0 & 0x1F) << 6) | (d[i + 1] & 0x3F);
        return 2;
    }
    if (b0 < 0xF0) {
        if (avail < 3) {
            return 0;
        }
        unsigned char b1 = d[i + 1], b2 = d[i + 2];
        unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80; /* overlong */
        unsigned char hi = b0 == 0xED ? 0x9F : 0xBF; /* surrogates */
        if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80) {
            return 0;
        }
        *cp = ((uint32_t)(b0 & 0x0F) << 12) | ((uint32_t)(b1 & 0x3F) << 6) |
              (b2 & 0x3F);
        return 3;
    }
    if (b0 < 0xF5) {
        if (avail < 4) {
            return 0;
        }
        unsigned char b1 = d[i + 1], b2 = d[i + 2], b3 = d[i + 3];
        unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80; /* overlong */
        unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF; /* above U+10FFFF */
        if (b1 < lo || b1 > hi || (b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80) {
            return 0;
        }
        *cp = ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(b1 & 0x3F) << 12) |
              ((uint32_t)(b2 & 0x3F) << 6) | (b3 & 0x3F);
        return 4;
    }
    return 0;
}

/* Decode the escape whose backslash is at d[i] (i + 1 < n is checked by the
 * caller), within d[0:n]. Return the offset after it and set *cp, or 0 with
 * *err set. Mirrors scanstring_unicode: a high surrogate escape followed by
 * an escape of a low surrogate is joined into one code point; otherwise
 * (LAX) the surrogate is kept alone and the following escape is read on its
 * own. STRICT refuses lone surrogates. */
static inline size_t
decode_escape(const unsigned char *d, size_t n, size_t i,
              sesstok_json_mode mode, uint32_t *cp, int *err)
{
    switch (d[i + 1]) {
    case '"':
        *cp = '"';
        return i + 2;
    case '\\':
        *cp = '\\';
        return i + 2;
    case '/':
        *cp = '/';
        return i + 2;
    case 'b':
        *cp = '\b';
        return i + 2;
    case 'f':
        *cp = '\f';
        return i + 2;
    case 'n':
        *cp = '\n';
        return i + 2;
    case 'r':
        *cp = '\r';
        return i + 2;
    case 't':
        *cp = '\t';
        return i + 2;
    case 'u':
        break;
    default:
        *err = SESSTOK_JSON_E_BAD_ESCAPE;
        return 0;
    }
    /* as _json.c: the four digits must be followed by at least one more
     * character (the string is unterminated otherwise) */
    uint32_t c, c2;
    size_t end = i + 6;
    if (end >= n || hex4(d + i + 2, &c) < 0) {
        *err = SESSTOK_JSON_E_BAD_UNICODE_ESCAPE;
        return 0;
    }
    if (IS_HIGH_SURROGATE(c) && end + 6 < n && d[end] == '\\' &&
        d[end + 1] == 'u') {
        if (hex4(d + end + 2, &c2) < 0) {
            *err = SESSTOK_JSON_E_BAD_UNICODE_ESCAPE;
            return 0;
        }
        if (IS_LOW_SURROGATE(c2)) {
            *cp = 0x10000 + (((c - 0xD800) << 10) | (c2 - 0xDC00));
            return end + 6;
        }
    }
    if (mode == SESSTOK_JSON_STRICT &&
        (IS_HIGH_SURROGATE(c) || IS_LOW_SURROGATE(c))) {
        *err = SESSTOK_JSON_E_LONE_SURROGATE;
        return 0;
    }
    *cp = c;
    return end;
}

int
sesstok_json_scan_string(const unsigned char *d, size_t n, size_t pos,
                         sesstok_json_mode mode, sesstok_json_string *s,
                         size_t *err_pos)
{
    size_t i = pos;
    size_t length = 0;
    uint32_t maxchar = 0;
    int plain = 1;
    for (;;) {
        size_t run = i;
        while (n - i >= 8) {
            uint64_t x;
            memcpy(&x, d + i, 8);
            if (!plain8(x)) {
                break;
            }
            i += 8;
        }
        while (i < n && (cclass[d[i]] & C_PLAIN)) {
            i++;
        }
        if (i != run) {
            length += i - run;
            if (maxchar < 0x7f) {
                maxchar = 0x7f;
            }
        }
        if (i >= n) {
            *err_pos = pos - 1;
            return SESSTOK_JSON_E_UNTERMINATED_STRING;
        }
        unsigned char b = d[i];
        if (b == '"') {
            break;
        }
        uint32_t cp;
        if (b == '\\') {
            plain = 0;
            if (i + 1 >= n) {
                *err_pos = pos - 1;
                return SESSTOK_JSON_E_UNTERMINATED_STRING;
            }
            int err = 0;
            size_t next = decode_escape(d, n, i, mode, &cp, &err);
            if (next == 0) {
                *err_pos = i;
                return err;
            }
            i = next;
        }
        else if (b < 0x20) {
            *err_pos = i;
            return SESSTOK_JSON_E_CONTROL_CHAR;
        }
        else if (mode == SESSTOK_JSON_LAX) {
            cp = b; /* 0x80-0xff: one latin-1 code point */
            i++;
        }
        else {
            size_t k = utf8_decode(d, n, i, &cp);
            if (k == 0) {
                *err_pos = i;
                return SESSTOK_JSON_E_BAD_UTF8;
            }
            i += k;
        }
        length++;
        uint32_t r = range_of(cp);
        if (r > maxchar) {
            maxchar = r;
        }
    }
    s->start = pos;
    s->end = i;
    s->length = length;
    s->maxchar = maxchar;
    s->plain = plain;
    return SESSTOK_JSON_OK;
}

static inline void
put_unit(void *out, int kind, size_t o, uint32_t c)
{
    switch (kind) {
    case 1:
        ((uint8_t *)out)[o] = (uint8_t)c;
        break;
    case 2:
        ((uint16_t *)out)[o] = (uint16_t)c;
        break;
    default:
        ((uint32_t *)out)[o] = c;
        break;
    }
}

void
sesstok_json_decode_string(const unsigned char *d, sesstok_json_mode mode,
                           const sesstok_json_string *s, void *out, int kind)
{
    if (kind == 1 && s->plain &&
        (mode == SESSTOK_JSON_LAX || s->maxchar <= 0x7f)) {
        memcpy(out, d + s->start, s->length);
        return;
    }
    /* the string was scanned, so it is well formed up to s->end, and the
     * closing quote at s->end bounds every look-ahead. Should the bytes have
     * changed since (they cannot while the caller holds the GIL), the output
     * still stays within s->length units and the loop ends. */
    size_t n = s->end + 1;
    size_t i = s->start, o = 0;
    while (i < s->end && o < s->length) {
        unsigned char b = d[i];
        uint32_t cp;
        size_t next;
        if (b == '\\') {
            int err = 0;
            next = i + 1 < n ? decode_escape(d, n, i, mode, &cp, &err) : 0;
        }
        else if (b < 0x80 || mode == SESSTOK_JSON_LAX) {
            cp = b;
            next = i + 1;
        }
        else {
            size_t k = utf8_decode(d, n, i, &cp);
            next = k ? i + k : 0;
        }
        if (next == 0) {
            break;
        }
        if (cp > 0xff && kind == 1) {
            cp = 0;
        }
        else if (cp > 0xffff && kind == 2) {
            cp = 0;
        }
        put_unit(out, kind, o++, cp);
        i = next;
    }
    while (o < s->length) {
        put_unit(out, kind, o++, 0);
    }
}

/* ---- the grammar driver ---------------------------------------------------- */

/* The end of one or more digits from d[i] (a fraction's or an exponent's),
 * or 0 if there is no digit at i. */
static size_t
skip_digits(const unsigned char *d, size_t n, size_t i)
{
    if (!is_digit(d, n, i)) {
        return 0;
    }
    while (is_digit(d, n, i)) {
        i++;
    }
    return i;
}

/* Scan a number at d[i] ('-' or a digit). Return the offset after it, or 0
 * with *err set. */
static inline size_t
scan_number(const unsigned char *d, size_t n, size_t i, sesstok_json_mode mode,
            int *is_float, int *err)
{
    size_t start = i;
    if (d[i] == '-') {
        i++;
    }
    size_t digits_start = i;
    if (i < n && d[i] == '0') {
        i++;
        if (is_digit(d, n, i)) {
            *err = SESSTOK_JSON_E_LEADING_ZERO;
            return 0;
        }
    }
    else if (is_digit(d, n, i)) {
        while (is_digit(d, n, i)) {
            i++;
        }
    }
    else {
        *err = start == i ? SESSTOK_JSON_E_EXPECTING_VALUE
                          : SESSTOK_JSON_E_BAD_NUMBER;
        return 0;
    }
    size_t int_digits = i - digits_start;
    *is_float = 0;
    if (i < n && d[i] == '.') {
        if ((i = skip_digits(d, n, i + 1)) == 0) {
            *err = SESSTOK_JSON_E_BAD_NUMBER;
            return 0;
        }
        *is_float = 1;
    }
    if (i < n && (d[i] == 'e' || d[i] == 'E')) {
        i++;
        if (i < n && (d[i] == '+' || d[i] == '-')) {
            i++;
        }
        if ((i = skip_digits(d, n, i)) == 0) {
            *err = SESSTOK_JSON_E_BAD_NUMBER;
            return 0;
        }
        *is_float = 1;
    }
    if (mode == SESSTOK_JSON_STRICT && !*is_float &&
        int_digits > SESSTOK_JSON_MAX_INT_DIGITS) {
        *err = SESSTOK_JSON_E_INT_TOO_LONG;
        return 0;
    }
    return i;
}

static inline int
matches(const unsigned char *d, size_t n, size_t i, const char *word,
        size_t len)
{
    return n - i >= len && memcmp(d + i, word, len) == 0;
}

/* The literal constant at d[i] (null, true, false, and in LAX mode NaN,
 * Infinity, -Infinity): its length and *which; 0 if there is none there.
 * NaN and the infinities in STRICT mode: -1. */
static int
match_constant(const unsigned char *d, size_t n, size_t i,
               sesstok_json_mode mode, sesstok_json_constant *which)
{
    static const struct {
        const char *word;
        size_t len;
        sesstok_json_constant which;
        int finite;
    } constants[] = {
        {"null", 4, SESSTOK_JSON_NULL, 1},
        {"true", 4, SESSTOK_JSON_TRUE, 1},
        {"false", 5, SESSTOK_JSON_FALSE, 1},
        {"NaN", 3, SESSTOK_JSON_NAN, 0},
        {"Infinity", 8, SESSTOK_JSON_INF, 0},
        {"-Infinity", 9, SESSTOK_JSON_NEG_INF, 0},
    };
    for (size_t k = 0; k < sizeof(constants) / sizeof(constants[0]); k++) {
        if (d[i] == (unsigned char)constants[k].word[0] &&
            matches(d, n, i, constants[k].word, constants[k].len)) {
            if (!constants[k].finite && mode == SESSTOK_JSON_STRICT) {
                return -1;
            }
            *which = constants[k].which;
            return (int)constants[k].len;
        }
    }
    return 0;
}

#define STACK_INLINE 64
#define IN_ARRAY     'A'
#define IN_OBJECT    'O'

/* The driver's stack of open containers (IN_ARRAY / IN_OBJECT), inline
 * up to STACK_INLINE levels, on the heap beyond, never past limit. */
typedef struct {
    unsigned char *data;
    size_t depth, cap, limit;
    unsigned char inline_data[STACK_INLINE];
} container_stack;

/* Open a container of `kind`: SESSTOK_JSON_OK, _E_TOO_DEEP or _E_NOMEM. */
static int
stack_push(container_stack *st, unsigned char kind)
{
    if (st->depth >= st->limit) {
        return SESSTOK_JSON_E_TOO_DEEP;
    }
    if (st->depth == st->cap) {
        size_t ncap = st->cap * 2 < st->limit ? st->cap * 2 : st->limit;
        unsigned char *ns = st->data == st->inline_data
                                ? malloc(ncap)
                                : realloc(st->data, ncap);
        if (ns == NULL) {
            return SESSTOK_JSON_E_NOMEM;
        }
        if (st->data == st->inline_data) {
            memcpy(ns, st->inline_data, st->depth);
        }
        st->data = ns;
        st->cap = ncap;
    }
    st->data[st->depth++] = kind;
    return SESSTOK_JSON_OK;
}

/* A grammar driver over three states (value, after_value, member) joined by
 * goto: the transitions of a pushdown automaton whose stack is `stack`.
 * Every error sets rc and at (the offset to report) and jumps to fail. */
int
sesstok_json_parse(const unsigned char *d, size_t n, sesstok_json_mode mode,
                   int max_depth, const sesstok_json_handler *h, void *ctx,
                   size_t *err_pos)
{
    container_stack stack;
    stack.data = stack.inline_data;
    stack.depth = 0;
    stack.cap = STACK_INLINE;
    stack.limit = max_depth > 0 ? (size_t)max_depth : 0;
    size_t i = skip_ws(d, n, 0);
    size_t at = 0;
    int rc = SESSTOK_JSON_OK;
    sesstok_json_string s;
    sesstok_json_constant which;

value:
    /* i is at the first byte of a value (whitespace skipped) */
    at = i;
    if (i >= n) {
        rc = SESSTOK_JSON_E_EXPECTING_VALUE;
        goto fail;
    }
    switch (d[i]) {
    case '{':
        if ((rc = stack_push(&stack, IN_OBJECT)) != SESSTOK_JSON_OK) {
            goto fail;
        }
        if (h->begin_object(ctx, i)) {
            goto handler_failed;
        }
        i = skip_ws(d, n, i + 1);
        if (i < n && d[i] == '}') {
            goto close_object;
        }
        goto member;
    case '[':
        if ((rc = stack_push(&stack, IN_ARRAY)) != SESSTOK_JSON_OK) {
            goto fail;
        }
        if (h->begin_array(ctx, i)) {
            goto handler_failed;
        }
        i = skip_ws(d, n, i + 1);
        if (i < n && d[i] == ']') {
            goto close_array;
        }
        goto value;
    case '"':
        if ((rc = sesstok_json_scan_string(d, n, i + 1, mode, &s, err_pos)) !=
            0) {
            goto done; /* the scanner set err_pos */
        }
        if (h->string(ctx, d, &s)) {
            goto handler_failed;
        }
        i = s.end + 1;
        goto after_value;
    default:
        break;
    }
    if ((d[i] >= '0' && d[i] <= '9') ||
        (d[i] == '-' && !matches(d, n, i, "-Infinity", 9))) {
        int is_float = 0, err = 0;
        size_t end = scan_number(d, n, i, mode, &is_float, &err);
        if (end == 0) {
            rc = err;
            goto fail;
        }
        if (h->number(ctx, d + i, end - i, is_float, i)) {
            goto handler_failed;
        }
        i = end;
        goto after_value;
    }
    {
        int len = match_constant(d, n, i, mode, &which);
        if (len < 0) {
            rc = SESSTOK_JSON_E_NON_FINITE;
            goto fail;
        }
        if (len > 0) {
            if (h->constant(ctx, which, i)) {
                goto handler_failed;
            }
            i += (size_t)len;
            goto after_value;
        }
    }
    rc = SESSTOK_JSON_E_EXPECTING_VALUE;
    goto fail;

after_value:
    i = skip_ws(d, n, i);
    at = i;
    if (stack.depth == 0) {
        if (i != n) {
            rc = SESSTOK_JSON_E_EXTRA_DATA;
            goto fail;
        }
        goto done;
    }
    if (stack.data[stack.depth - 1] == IN_OBJECT) {
        if (i < n && d[i] == ',') {
            i = skip_ws(d, n, i + 1);
            if (i < n && d[i] == '}') {
                rc = SESSTOK_JSON_E_TRAILING_COMMA; /* at the comma */
                goto fail;
            }
            goto member;
        }
        if (i < n && d[i] == '}') {
            goto close_object;
        }
        rc = SESSTOK_JSON_E_EXPECTING_OBJECT_END;
        goto fail;
    }
    if (i < n && d[i] == ',') {
        i = skip_ws(d, n, i + 1);
        if (i < n && d[i] == ']') {
            rc = SESSTOK_JSON_E_TRAILING_COMMA; /* at the comma */
            goto fail;
        }
        goto value;
    }
    if (i < n && d[i] == ']') {
        goto close_array;
    }
    rc = SESSTOK_JSON_E_EXPECTING_ARRAY_END;
    goto fail;

close_object:
    /* d[i] is the '}' of the innermost container */
    at = i;
    stack.depth--;
    if (h->end_object(ctx, i)) {
        goto handler_failed;
    }
    i++;
    goto after_value;

close_array:
    at = i;
    stack.depth--;
    if (h->end_array(ctx, i)) {
        goto handler_failed;
    }
    i++;
    goto after_value;

member:
    /* i is at the first byte of a member (whitespace skipped) */
    at = i;
    if (i >= n || d[i] != '"') {
        rc = SESSTOK_JSON_E_EXPECTING_NAME;
        goto fail;
    }
    if ((rc = sesstok_json_scan_string(d, n, i + 1, mode, &s, err_pos)) != 0) {
        goto done; /* the scanner set err_pos */
    }
    if (h->key(ctx, d, &s)) {
        goto handler_failed;
    }
    i = skip_ws(d, n, s.end + 1);
    at = i;
    if (i >= n || d[i] != ':') {
        rc = SESSTOK_JSON_E_EXPECTING_COLON;
        goto fail;
    }
    i = skip_ws(d, n, i + 1);
    goto value;

handler_failed:
    rc = SESSTOK_JSON_E_HANDLER;
fail:
    *err_pos = at;
done:
    if (stack.data != stack.inline_data) {
        free(stack.data);
    }
    return rc;
}
