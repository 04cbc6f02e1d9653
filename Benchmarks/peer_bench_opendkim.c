/*
 * libopendkim timing driver for Benchmarks/peers.py: signs and verifies the corpus that `dkimtool bench --corpus`
 * wrote, looping inside this process (start-up excluded), and prints one JSON line per cell.
 *
 *     gcc -O2 -o peer_bench_opendkim peer_bench_opendkim.c $(pkg-config --cflags --libs opendkim)
 *     peer_bench_opendkim CORPUS SECONDS ROUNDS SIZE,... CANON,...
 *
 * Keys come from CORPUS/txt-records through libopendkim's file query method (DKIM_QUERY_FILE): no DNS.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dkim.h>

static void die(const char *what, const char *detail) {
    fprintf(stderr, "peer_bench_opendkim: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static unsigned char *slurp(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) die("cannot read", path);
    if (fseek(f, 0, SEEK_END) != 0) die("cannot seek", path);
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) die("cannot size", path);
    unsigned char *data = malloc((size_t)size + 1);
    if (data == NULL) die("out of memory", NULL);
    if (fread(data, 1, (size_t)size, f) != (size_t)size) die("short read", path);
    fclose(f);
    data[size] = 0;
    *length = (size_t)size;
    return data;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct {
    DKIM_LIB *lib;
    bool sign;
    dkim_alg_t alg;
    dkim_canon_t hc, bc;
    const char *selector;
    unsigned char *key;
    unsigned char *message;
    size_t length;
} job;

static DKIM_STAT once(const job *j) {
    DKIM_STAT st;
    DKIM *dkim = j->sign
        ? dkim_sign(j->lib, (const unsigned char *)"bench", NULL, (dkim_sigkey_t)j->key,
                    (const unsigned char *)j->selector, (const unsigned char *)"example.com", j->hc, j->bc, j->alg,
                    -1, &st)
        : dkim_verify(j->lib, (const unsigned char *)"bench", NULL, &st);
    if (dkim == NULL) return st;
    st = dkim_chunk(dkim, j->message, j->length);
    if (st == DKIM_STAT_OK) st = dkim_chunk(dkim, NULL, 0);
    if (st == DKIM_STAT_OK) st = dkim_eom(dkim, NULL);
    if (st == DKIM_STAT_OK && j->sign) {
        static unsigned char field[16384];
        st = dkim_getsighdr(dkim, field, sizeof field, strlen("DKIM-Signature: "));
    }
    dkim_free(dkim);
    return st;
}

static double best_rate(const job *j, double seconds, int rounds) {
    double best = 0;
    for (int r = 0; r < rounds; r++) {
        double start = now(), elapsed = 0;
        long count = 0;
        do {
            if (once(j) != DKIM_STAT_OK) return -1;
            count++;
            elapsed = now() - start;
        } while (elapsed < seconds);
        if (count / elapsed > best) best = count / elapsed;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc != 6) die("usage: peer_bench_opendkim CORPUS SECONDS ROUNDS SIZES CANONS", NULL);
    const char *corpus = argv[1];
    double seconds = atof(argv[2]);
    int rounds = atoi(argv[3]);
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (lib == NULL) die("dkim_init failed", NULL);
    dkim_query_t method = DKIM_QUERY_FILE;
    char records[4096];
    snprintf(records, sizeof records, "%s/txt-records", corpus);
    if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &method, sizeof method) != DKIM_STAT_OK ||
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, records, strlen(records)) != DKIM_STAT_OK)
        die("cannot set the file query method", NULL);
    uint64_t fixed = 1700000000;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed, sizeof fixed);

    const char *algs[] = {"rsa-sha256", "ed25519-sha256"};
    const char *sels[] = {"rsa", "ed"};
    dkim_alg_t ids[] = {DKIM_SIGN_RSASHA256, DKIM_SIGN_ED25519SHA256};
    char canons[256];
    snprintf(canons, sizeof canons, "%s", argv[5]);
    for (char *canon = strtok(canons, ","); canon != NULL; canon = strtok(NULL, ",")) {
        bool simple = strcmp(canon, "simple/simple") == 0;
        for (int op = 0; op < 2; op++) {
            for (int a = 0; a < 2; a++) {
                char sizes[256];
                snprintf(sizes, sizeof sizes, "%s", argv[4]);
                char *save = NULL;
                for (char *size = strtok_r(sizes, ",", &save); size != NULL; size = strtok_r(NULL, ",", &save)) {
                    char path[4096];
                    size_t keylen = 0;
                    job j = {lib, op == 0, ids[a], simple ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED,
                             simple ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED, sels[a], NULL, NULL, 0};
                    snprintf(path, sizeof path, "%s/%s.private", corpus, sels[a]);
                    j.key = slurp(path, &keylen);
                    if (j.sign) {
                        snprintf(path, sizeof path, "%s/msg-%s.eml", corpus, size);
                    } else {
                        snprintf(path, sizeof path, "%s/signed-%s-%s-%s.eml", corpus, sels[a],
                                 simple ? "simple-simple" : "relaxed-relaxed", size);
                    }
                    j.message = slurp(path, &j.length);
                    double rate = best_rate(&j, seconds, rounds);
                    if (rate < 0)
                        printf("{\"op\":\"%s\",\"algorithm\":\"%s\",\"c\":\"%s\",\"bytes\":%s,\"msgsPerSecond\":null,"
                               "\"error\":\"failed\"}\n", j.sign ? "sign" : "verify", algs[a], canon, size);
                    else
                        printf("{\"op\":\"%s\",\"algorithm\":\"%s\",\"c\":\"%s\",\"bytes\":%s,\"msgsPerSecond\":%.2f,"
                               "\"error\":\"\"}\n", j.sign ? "sign" : "verify", algs[a], canon, size, rate);
                    fflush(stdout);
                    free(j.key);
                    free(j.message);
                }
            }
        }
    }
    dkim_close(lib);
    return 0;
}
