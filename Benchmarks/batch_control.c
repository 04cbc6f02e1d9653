/*
 * Control for Benchmarks/batch-speedup.sh: what a second core gives OpenSSL itself on this machine, measured the
 * way the batch is (a fixed amount of work, wall clock), with no files, no DKIM and no process start.
 *
 *     cc -O2 -o batch_control batch_control.c -lcrypto -lpthread
 *     batch_control KEY COUNT THREADS
 *
 * Signs COUNT SHA-256 digests with the RSA private key in KEY (PEM), RSASSA-PKCS1-v1_5 as DKIM's rsa-sha256 does,
 * split over THREADS threads that share the key and each hold a prepared EVP_PKEY_CTX (as dkimtool's workers do),
 * and prints the elapsed seconds. Each thread signs once before the clock starts, so set-up (blinding, Montgomery
 * tables) is not timed.
 *
 * `openssl speed -multi` is not this control: it runs each process for a fixed time and counts user CPU time by
 * default, so a core the host takes away for a while does not show in its rate, while it does in a batch's
 * wall-clock time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

struct worker {
    EVP_PKEY *key;
    long count;
    pthread_barrier_t *start;
};

static void die(const char *what) {
    fprintf(stderr, "batch_control: %s\n", what);
    exit(2);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int sign_once(EVP_PKEY_CTX *context, unsigned char digest[32]) {
    unsigned char signature[1024];
    size_t length = sizeof signature;
    if (EVP_PKEY_sign(context, signature, &length, digest, 32) != 1) return 0;
    digest[0] ^= signature[0];  /* a new digest each time, as each message has its own */
    return 1;
}

static void *work(void *argument) {
    struct worker *worker = argument;
    EVP_PKEY_CTX *context = EVP_PKEY_CTX_new_from_pkey(NULL, worker->key, NULL);
    if (context == NULL || EVP_PKEY_sign_init(context) != 1
        || EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) != 1
        || EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) != 1) {
        die("the RSA signing context could not be set up");
    }
    unsigned char digest[32] = {0};
    if (!sign_once(context, digest)) die("signing failed");
    pthread_barrier_wait(worker->start);
    for (long i = 0; i < worker->count; i++) {
        if (!sign_once(context, digest)) die("signing failed");
    }
    EVP_PKEY_CTX_free(context);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) die("usage: batch_control KEY COUNT THREADS");
    long count = atol(argv[2]);
    int threads = atoi(argv[3]);
    if (count < 1 || threads < 1 || threads > 64) die("COUNT and THREADS must be positive (THREADS at most 64)");

    FILE *file = fopen(argv[1], "r");
    if (file == NULL) die("cannot read the key");
    EVP_PKEY *key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
    fclose(file);
    if (key == NULL) die("the key is not a PEM private key");

    struct worker workers[64];
    pthread_t ids[64];
    pthread_barrier_t start;
    /* The main thread joins the barrier too, so the clock starts when every thread is ready. */
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        /* The first threads take the remainder, so the counts add up to COUNT. */
        workers[t] = (struct worker){key, count / threads + (t < count % threads ? 1 : 0), &start};
        if (pthread_create(&ids[t], NULL, work, &workers[t]) != 0) die("cannot start a thread");
    }
    pthread_barrier_wait(&start);
    double begin = now();
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    printf("%.6f\n", now() - begin);
    return 0;
}
