/* fuzz_json.c - libFuzzer harness for the Python-free JSON driver
 * (csrc/json_scan.c), the part of sesstok._core that reads untrusted bytes.
 * fuzz-sources: csrc/json_scan.c
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icsrc \
 *       fuzz/fuzz_json.c csrc/json_scan.c -o fuzz/out/fuzz_json
 *   fuzz/out/fuzz_json -max_total_time=60 fuzz/out/corpus_json
 *
 * Each input is parsed in both modes with a depth limit taken from its first
 * byte. The handler decodes every string into a buffer of exactly the
 * announced size (so ASan sees any overrun) and checks what a decoded string
 * must satisfy; the modes are compared: whatever STRICT accepts, LAX accepts
 * with the same events. */
#include "json_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    sesstok_json_mode mode;
    size_t events;   /* handler calls */
    uint64_t digest; /* of the events and decoded contents */
    size_t depth, max_depth_seen;
} ctx_t;

static void
mix(ctx_t *c, uint64_t v)
{
    c->digest = (c->digest ^ v) * 0x100000001b3ULL;
}

static int
begin(void *p, size_t pos)
{
    ctx_t *c = p;
    c->events++;
    c->depth++;
    if (c->depth > c->max_depth_seen) {
        c->max_depth_seen = c->depth;
    }
    mix(c, 1000 + pos);
    return 0;
}

static int
end(void *p, size_t pos)
{
    ctx_t *c = p;
    c->events++;
    if (c->depth == 0) {
        abort(); /* unbalanced events */
    }
    c->depth--;
    mix(c, 2000 + pos);
    return 0;
}

/* Decode into units of `kind` bytes and check the announced maxchar/length. */
static void
check_string(ctx_t *c, const unsigned char *data, const sesstok_json_string *s)
{
    int kind = s->maxchar <= 0xff ? 1 : s->maxchar <= 0xffff ? 2 : 4;
    if (s->maxchar != 0 && s->maxchar != 0x7f && s->maxchar != 0xff && s->maxchar != 0xffff
        && s->maxchar != 0x10ffff) {
        abort();
    }
    if ((s->length == 0) != (s->maxchar == 0)) {
        abort();
    }
    if (s->end < s->start || s->length > s->end - s->start) {
        abort();
    }
    void *out = malloc(s->length * (size_t)kind + 1); /* +1: malloc(0) */
    if (out == NULL) {
        return;
    }
    sesstok_json_decode_string(data, c->mode, s, out, kind);
    uint32_t maxcp = 0;
    for (size_t i = 0; i < s->length; i++) {
        uint32_t cp = kind == 1 ? ((uint8_t *)out)[i]
                      : kind == 2 ? ((uint16_t *)out)[i] : ((uint32_t *)out)[i];
        if (cp > 0x10ffff) {
            abort();
        }
        if (c->mode == SESSTOK_JSON_STRICT && cp >= 0xD800 && cp <= 0xDFFF) {
            abort(); /* strict never yields a lone surrogate */
        }
        if (c->mode == SESSTOK_JSON_LAX && s->plain && cp > 0xff) {
            abort();
        }
        if (cp > maxcp) {
            maxcp = cp;
        }
        mix(c, cp);
    }
    uint32_t range = maxcp == 0 && s->length == 0 ? 0
                     : maxcp < 0x80 ? 0x7f : maxcp < 0x100 ? 0xff : maxcp < 0x10000 ? 0xffff : 0x10ffff;
    if (range != s->maxchar) {
        abort(); /* the PyUnicode_New maxchar would be wrong */
    }
    free(out);
}

static int
on_key(void *p, const unsigned char *data, const sesstok_json_string *s)
{
    ((ctx_t *)p)->events++;
    check_string(p, data, s);
    mix(p, 3);
    return 0;
}

static int
on_string(void *p, const unsigned char *data, const sesstok_json_string *s)
{
    ((ctx_t *)p)->events++;
    check_string(p, data, s);
    mix(p, 4);
    return 0;
}

static int
on_number(void *p, const unsigned char *text, size_t len, int is_float, size_t pos)
{
    ctx_t *c = p;
    c->events++;
    if (len == 0) {
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        mix(c, text[i]);
    }
    mix(c, (uint64_t)is_float);
    return 0;
}

static int
on_constant(void *p, sesstok_json_constant which, size_t pos)
{
    ctx_t *c = p;
    c->events++;
    if (c->mode == SESSTOK_JSON_STRICT && which >= SESSTOK_JSON_NAN) {
        abort();
    }
    mix(c, 5 + (uint64_t)which);
    return 0;
}

static const sesstok_json_handler handler = {
    .begin_array = begin,
    .end_array = end,
    .begin_object = begin,
    .end_object = end,
    .key = on_key,
    .string = on_string,
    .number = on_number,
    .constant = on_constant,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    int max_depth = data[0] % 40; /* 0 refuses every container */
    data++;
    size--;
    /* an exact-size copy, so reading past the end is caught */
    unsigned char *doc = malloc(size ? size : 1);
    if (doc == NULL) {
        return 0;
    }
    memcpy(doc, data, size);

    ctx_t strict = {.mode = SESSTOK_JSON_STRICT}, lax = {.mode = SESSTOK_JSON_LAX};
    size_t spos = 0, lpos = 0;
    int src = sesstok_json_parse(doc, size, SESSTOK_JSON_STRICT, max_depth, &handler, &strict, &spos);
    int lrc = sesstok_json_parse(doc, size, SESSTOK_JSON_LAX, max_depth, &handler, &lax, &lpos);
    if ((src != SESSTOK_JSON_OK && spos > size) || (lrc != SESSTOK_JSON_OK && lpos > size)) {
        abort(); /* error positions stay inside the document */
    }
    if (src == SESSTOK_JSON_OK) {
        if (strict.depth != 0 || strict.max_depth_seen > (size_t)max_depth) {
            abort();
        }
        if (lrc != SESSTOK_JSON_OK || lax.events != strict.events) {
            abort(); /* strict accepts a subset of lax */
        }
    }
    if (src == SESSTOK_JSON_E_HANDLER || lrc == SESSTOK_JSON_E_HANDLER || sesstok_json_strerror(src) == NULL) {
        abort();
    }
    free(doc);
    return 0;
}
