/* bench_b64.c - base64url microbenchmark for csrc/codec.c (no Python).
 *
 *     bench_b64 OP SIZE ITERS      OP: encode | strict | lax
 *
 * Encodes SIZE pseudo-random bytes, or decodes their encoding, ITERS times,
 * checks the result once, and prints "chars ns_per_char". Run by run.sh,
 * which also counts instructions with callgrind (ITERS=0 vs ITERS=N, so the
 * setup cancels out). The implementation is the one codec.c picks, or the
 * one SESSTOK_B64URL_IMPL names. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s encode|strict|lax SIZE ITERS\n", argv[0]);
        return 2;
    }
    const char *op = argv[1];
    size_t size = strtoul(argv[2], NULL, 10);
    long iters = strtol(argv[3], NULL, 10);
    unsigned char *raw = malloc(size + 1), *back = malloc(size + 3);
    size_t elen = sesstok_b64url_encoded_len(size);
    char *enc = malloc(elen + 1);
    if (!raw || !back || !enc) {
        return 1;
    }
    unsigned x = 12345;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        raw[i] = (unsigned char)(x >> 16);
    }
    sesstok_b64url_encode(raw, size, enc);
    int encode = strcmp(op, "encode") == 0, strict = strcmp(op, "strict") == 0;
    if (!encode && !strict && strcmp(op, "lax") != 0) {
        fprintf(stderr, "unknown op %s\n", op);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile unsigned sink = 0;
    for (long k = 0; k < iters; k++) {
        if (encode) {
            sink += (unsigned)sesstok_b64url_encode(raw, size, enc);
        }
        else {
            sink += (unsigned)(strict ? sesstok_b64url_decode_strict(enc, elen, back)
                                      : sesstok_b64url_decode_lax(enc, elen, back));
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (iters > 0 && !encode && memcmp(back, raw, size) != 0) {
        fprintf(stderr, "decode gave the wrong bytes\n");
        return 1;
    }
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("%zu %.3f\n", elen, iters > 0 ? ns / ((double)iters * (double)elen) : 0.0);
    return 0;
}
