/* json_scan.h - a Python-free JSON tokenizer and grammar driver. json_decode.c
 * builds Python objects from its events; fuzz/fuzz_json.c drives it alone.
 *
 * The driver is iterative (an explicit stack bounded by max_depth), reads
 * exactly n bytes (never strlen, never past data + n) and allocates only its
 * container stack (at most max_depth bytes). */
#ifndef SESSTOK_JSON_SCAN_H
#define SESSTOK_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* How the bytes of a document are read. */
typedef enum {
    /* Each byte is one code point (latin-1), as
     * json.loads(data.decode("latin-1")) reads it: \u escapes are combined
     * into surrogate pairs as py_scanstring does and lone surrogates are
     * kept; NaN, Infinity and -Infinity are values. */
    SESSTOK_JSON_LAX,
    /* RFC 8259 over UTF-8: invalid UTF-8 (overlong forms, encoded surrogates,
     * above U+10FFFF, truncated sequences), escapes that leave a lone
     * surrogate, NaN/Infinity and integers of more than
     * SESSTOK_JSON_MAX_INT_DIGITS digits are errors. */
    SESSTOK_JSON_STRICT,
} sesstok_json_mode;

/* CPython's default int_max_str_digits; strict mode refuses longer ints. */
#define SESSTOK_JSON_MAX_INT_DIGITS 4300

/* Error codes; sesstok_json_strerror() describes each. */
typedef enum {
    SESSTOK_JSON_OK = 0,
    SESSTOK_JSON_E_EXPECTING_VALUE,
    SESSTOK_JSON_E_UNTERMINATED_STRING,
    SESSTOK_JSON_E_CONTROL_CHAR,
    SESSTOK_JSON_E_BAD_ESCAPE,
    SESSTOK_JSON_E_BAD_UNICODE_ESCAPE,
    SESSTOK_JSON_E_LONE_SURROGATE,
    SESSTOK_JSON_E_BAD_UTF8,
    SESSTOK_JSON_E_BAD_NUMBER,
    SESSTOK_JSON_E_LEADING_ZERO,
    SESSTOK_JSON_E_INT_TOO_LONG,
    SESSTOK_JSON_E_NON_FINITE,
    SESSTOK_JSON_E_EXPECTING_NAME,
    SESSTOK_JSON_E_EXPECTING_COLON,
    SESSTOK_JSON_E_EXPECTING_OBJECT_END,
    SESSTOK_JSON_E_EXPECTING_ARRAY_END,
    SESSTOK_JSON_E_TRAILING_COMMA,
    SESSTOK_JSON_E_EXTRA_DATA,
    SESSTOK_JSON_E_TOO_DEEP,
    SESSTOK_JSON_E_NOMEM,
    SESSTOK_JSON_E_HANDLER, /* a handler returned nonzero */
    SESSTOK_JSON_E_COUNT
} sesstok_json_error;

/* A short description of an error code, e.g. "unterminated string". */
const char *sesstok_json_strerror(int code);

/* What scanning a string found. Offsets index the document. */
typedef struct {
    size_t start;     /* first byte after the opening quote */
    size_t end;       /* offset of the closing quote */
    size_t length;    /* decoded length in code points */
    uint32_t maxchar; /* largest decoded code point (0 for "") */
    int plain;        /* no escapes: the code points are the bytes (LAX) or
                         the UTF-8 text (STRICT) of data[start:end] */
} sesstok_json_string;

/* Scan the string whose contents begin at data[pos] (just after its opening
 * quote). Return SESSTOK_JSON_OK and fill *s, or an error code with *err_pos
 * set to where the problem is. Raw control characters (< 0x20) are errors in
 * both modes (json.loads is strict about them by default). */
int sesstok_json_scan_string(const unsigned char *data, size_t n, size_t pos,
                             sesstok_json_mode mode, sesstok_json_string *s,
                             size_t *err_pos);

/* Write the s->length code points of a string that sesstok_json_scan_string
 * accepted (same data, same mode) to out, an array of units of `kind` bytes
 * (1, 2 or 4; each code point must fit, i.e. s->maxchar < 1 << (8 * kind)
 * for kinds 1 and 2). */
void sesstok_json_decode_string(const unsigned char *data,
                                sesstok_json_mode mode,
                                const sesstok_json_string *s, void *out,
                                int kind);

/* Events of sesstok_json_parse. Each handler returns 0 to go on, nonzero to
 * stop the parse (which then returns SESSTOK_JSON_E_HANDLER). `pos` is the
 * offset of the token in the document. Containers are reported as
 * begin ... end, an object's members as key then value. */
typedef enum {
    SESSTOK_JSON_NULL,
    SESSTOK_JSON_TRUE,
    SESSTOK_JSON_FALSE,
    SESSTOK_JSON_NAN,     /* LAX only */
    SESSTOK_JSON_INF,     /* LAX only */
    SESSTOK_JSON_NEG_INF, /* LAX only */
} sesstok_json_constant;

typedef struct {
    int (*begin_array)(void *ctx, size_t pos);
    int (*end_array)(void *ctx, size_t pos);
    int (*begin_object)(void *ctx, size_t pos);
    int (*end_object)(void *ctx, size_t pos);
    int (*key)(void *ctx, const unsigned char *data,
               const sesstok_json_string *s);
    int (*string)(void *ctx, const unsigned char *data,
                  const sesstok_json_string *s);
    /* text[0:len] matches -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?;
     * is_float when it has a fraction or an exponent. */
    int (*number)(void *ctx, const unsigned char *text, size_t len,
                  int is_float, size_t pos);
    int (*constant)(void *ctx, sesstok_json_constant which, size_t pos);
} sesstok_json_handler;

/* Parse data[0:n] as one JSON text (leading and trailing JSON whitespace
 * ' \t\n\r' allowed), calling h's handlers in document order. Nesting deeper
 * than max_depth containers is SESSTOK_JSON_E_TOO_DEEP, reported at the
 * container that would exceed it. Return SESSTOK_JSON_OK, or an error code
 * with *err_pos set. Errors are found in document order: the first problem
 * in the text is the one reported. */
int sesstok_json_parse(const unsigned char *data, size_t n,
                       sesstok_json_mode mode, int max_depth,
                       const sesstok_json_handler *h, void *ctx,
                       size_t *err_pos);

#endif
