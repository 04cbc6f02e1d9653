/*
 * OpenDKIM peer driver for the interop matrix (Tests/interop/matrix.py); built at test time with
 *     gcc -O1 -o peer_opendkim peer_opendkim.c $(pkg-config --cflags --libs opendkim) -lresolv
 * from Debian's libopendkim-dev (scripts/install-deps installs it).
 *
 * sign   --key PEM --domain D --selector S [--canonicalization H/B] [--algorithm A] [--now EPOCH]
 *        [--length] [--identity I] [--oversign h1:h2] [--expire-after SECONDS] --out-dir DIR IN...
 *        Each input is read, bare LF turned into CRLF (RFC 6376 §5.3: the signer works on the CRLF form) and a
 *        missing final CRLF added (the SMTP form; verify does the same unless --as-is),
 *        signed by libopendkim, and DIR/<basename> gets "DKIM-Signature: ..." CRLF + the CRLF message.
 *        A = rsa-sha256 (default), rsa-sha1 or ed25519-sha256. The signed fields are libopendkim's default
 *        list; --oversign names fields listed once more than present (RFC 6376 §5.4.2).
 * verify --nameserver 127.0.0.1:PORT [--now EPOCH] [--as-is] FILE...
 *        One JSON line per file: {"file", "signatures": [{"index", "result", "reason", "detail", "domain",
 *        "selector", "algorithm"}]}; result is pass / fail / permerror / temperror, reason libopendkim's
 *        DKIM_SIGERROR string. Keys are fetched through DNS callbacks that ask the given server with
 *        res_nsend (libopendkim's own nameserver list cannot take a port on glibc: it needs res_setservers).
 * version
 *        Prints the libopendkim version.
 */

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>

#include <dkim.h>

static void die(const char *what, const char *detail) {
    fprintf(stderr, "peer_opendkim: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

/* ---- bytes ---- */

typedef struct {
    unsigned char *data;
    size_t len;
} buffer;

static buffer read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) die("cannot read", path);
    buffer b = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (b.len + 65536 > cap) {
            cap = (cap + 65536) * 2;
            b.data = realloc(b.data, cap);
            if (b.data == NULL) die("out of memory", NULL);
        }
        size_t n = fread(b.data + b.len, 1, cap - b.len, f);
        b.len += n;
        if (n == 0) break;
    }
    fclose(f);
    return b;
}

/* Every bare LF becomes CRLF; CRLF and lone CR stay. */
static buffer to_crlf(buffer in) {
    buffer out;
    out.data = malloc(in.len * 2 + 3);
    if (out.data == NULL) die("out of memory", NULL);
    out.len = 0;
    for (size_t i = 0; i < in.len; i++) {
        if (in.data[i] == '\n' && (i == 0 || in.data[i - 1] != '\r')) out.data[out.len++] = '\r';
        out.data[out.len++] = in.data[i];
    }
    return out;
}

/* The SMTP form of a message always ends in CRLF (RFC 5321 §4.1.1.4); libopendkim, a milter library, refuses a
 * relaxed body without it ("CRLF at end of body missing"), so the driver adds it unless told --as-is. */
static void complete_final_crlf(buffer *msg) {
    if (msg->len == 0 || (msg->len >= 2 && msg->data[msg->len - 2] == '\r' && msg->data[msg->len - 1] == '\n'))
        return;
    msg->data[msg->len++] = '\r';
    msg->data[msg->len++] = '\n';
}

/* Feeds the header fields (each without its final CRLF) and the body; returns the last status. */
static DKIM_STAT feed(DKIM *dkim, buffer msg) {
    size_t pos = 0;
    DKIM_STAT st = DKIM_STAT_OK;
    while (pos < msg.len) {
        if (msg.len - pos >= 2 && msg.data[pos] == '\r' && msg.data[pos + 1] == '\n') {
            pos += 2; /* the empty line: the body follows */
            break;
        }
        size_t start = pos, end = pos;
        for (;;) {
            unsigned char *lf = memchr(msg.data + end, '\n', msg.len - end);
            if (lf == NULL) {
                end = msg.len;
                break;
            }
            end = (size_t)(lf - msg.data) + 1;
            if (end >= msg.len || (msg.data[end] != ' ' && msg.data[end] != '\t')) break;
        }
        size_t fieldlen = end - start;
        if (fieldlen >= 2 && msg.data[end - 1] == '\n' && msg.data[end - 2] == '\r') fieldlen -= 2;
        st = dkim_header(dkim, msg.data + start, fieldlen);
        if (st != DKIM_STAT_OK) return st;
        pos = end;
    }
    st = dkim_eoh(dkim);
    if (st != DKIM_STAT_OK) return st;
    if (pos < msg.len) {
        st = dkim_body(dkim, msg.data + pos, msg.len - pos);
        if (st != DKIM_STAT_OK) return st;
    }
    return dkim_eom(dkim, NULL);
}

/* ---- DNS through a given server and port ---- */

typedef struct {
    struct __res_state res;
    struct in_addr addr;
    unsigned short port;
} dns_service;

typedef struct {
    int length;
    int error;
} dns_query;

static dns_service the_service;

static int dns_init(void **srv) {
    *srv = &the_service;
    return 0;
}

static void dns_close(void *srv) { (void)srv; }

static int dns_start(void *srv, int type, unsigned char *query, unsigned char *buf, size_t buflen, void **qh) {
    dns_service *s = srv;
    unsigned char packet[NS_PACKETSZ];
    dns_query *q = calloc(1, sizeof *q);
    if (q == NULL) return DKIM_DNS_ERROR;
    int n = res_nmkquery(&s->res, ns_o_query, (const char *)query, ns_c_in, type, NULL, 0, NULL, packet,
                         sizeof packet);
    if (n < 0) {
        q->error = 1;
    } else {
        int got = res_nsend(&s->res, packet, n, buf, (int)buflen);
        if (got < 0) q->error = 1;
        else q->length = got;
    }
    *qh = q;
    return DKIM_DNS_SUCCESS;
}

static int dns_cancel(void *srv, void *qh) {
    (void)srv;
    free(qh);
    return DKIM_DNS_SUCCESS;
}

static int dns_wait(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error, int *dnssec) {
    (void)srv;
    (void)to;
    dns_query *q = qh;
    if (bytes != NULL) *bytes = (size_t)q->length;
    if (error != NULL) *error = q->error;
    if (dnssec != NULL) *dnssec = DKIM_DNSSEC_UNKNOWN;
    return q->error ? DKIM_DNS_ERROR : DKIM_DNS_SUCCESS;
}

static void use_nameserver(DKIM_LIB *lib, const char *spec) {
    char host[64];
    const char *colon = strrchr(spec, ':');
    unsigned long port = 53;
    size_t hostlen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (hostlen >= sizeof host) die("bad --nameserver", spec);
    memcpy(host, spec, hostlen);
    host[hostlen] = '\0';
    if (colon != NULL) {
        char *end = NULL;
        port = strtoul(colon + 1, &end, 10);
        if (*end != '\0' || port == 0 || port > 65535) die("bad --nameserver port", spec);
    }
    if (inet_pton(AF_INET, host, &the_service.addr) != 1) die("--nameserver needs an IPv4 address", spec);
    the_service.port = (unsigned short)port;
    if (res_ninit(&the_service.res) != 0) die("res_ninit failed", NULL);
    the_service.res.nscount = 1;
    the_service.res.nsaddr_list[0].sin_family = AF_INET;
    the_service.res.nsaddr_list[0].sin_addr = the_service.addr;
    the_service.res.nsaddr_list[0].sin_port = htons(the_service.port);
    the_service.res.retrans = 2;
    the_service.res.retry = 2;
    dkim_dns_set_query_service(lib, &the_service);
    dkim_dns_set_init(lib, dns_init);
    dkim_dns_set_close(lib, dns_close);
    dkim_dns_set_query_start(lib, dns_start);
    dkim_dns_set_query_cancel(lib, dns_cancel);
    dkim_dns_set_query_waitreply(lib, dns_wait);
}

/* ---- JSON ---- */

static void json_string(FILE *out, const char *s) {
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

/* ---- commands ---- */

static void set_fixed_time(DKIM_LIB *lib, const char *now) {
    if (now == NULL) return;
    uint64_t t = strtoull(now, NULL, 10);
    if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof t) != DKIM_STAT_OK)
        die("cannot set the fixed time", NULL);
}

static int cmd_sign(int argc, char **argv) {
    const char *key = NULL, *domain = NULL, *selector = NULL, *canon = "relaxed/relaxed";
    const char *algorithm = "rsa-sha256", *now = NULL, *outdir = NULL, *identity = NULL, *oversign = NULL;
    const char *expire = NULL;
    bool length = false;
    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--length") == 0) { length = true; continue; }
        if (strncmp(a, "--", 2) != 0) break;
        if (i + 1 >= argc) die("missing value for", a);
        const char *v = argv[++i];
        if (strcmp(a, "--key") == 0) key = v;
        else if (strcmp(a, "--domain") == 0) domain = v;
        else if (strcmp(a, "--selector") == 0) selector = v;
        else if (strcmp(a, "--canonicalization") == 0) canon = v;
        else if (strcmp(a, "--algorithm") == 0) algorithm = v;
        else if (strcmp(a, "--now") == 0) now = v;
        else if (strcmp(a, "--out-dir") == 0) outdir = v;
        else if (strcmp(a, "--identity") == 0) identity = v;
        else if (strcmp(a, "--oversign") == 0) oversign = v;
        else if (strcmp(a, "--expire-after") == 0) expire = v;
        else die("unknown option", a);
    }
    if (!key || !domain || !selector || !outdir || i >= argc)
        die("sign needs --key --domain --selector --out-dir IN...", NULL);

    dkim_canon_t hc, bc;
    if (strncmp(canon, "simple/", 7) == 0) hc = DKIM_CANON_SIMPLE;
    else if (strncmp(canon, "relaxed/", 8) == 0) hc = DKIM_CANON_RELAXED;
    else die("bad --canonicalization", canon);
    const char *body = strchr(canon, '/') + 1;
    if (strcmp(body, "simple") == 0) bc = DKIM_CANON_SIMPLE;
    else if (strcmp(body, "relaxed") == 0) bc = DKIM_CANON_RELAXED;
    else die("bad --canonicalization", canon);
    dkim_alg_t alg;
    if (strcmp(algorithm, "rsa-sha256") == 0) alg = DKIM_SIGN_RSASHA256;
    else if (strcmp(algorithm, "rsa-sha1") == 0) alg = DKIM_SIGN_RSASHA1;
    else if (strcmp(algorithm, "ed25519-sha256") == 0) alg = DKIM_SIGN_ED25519SHA256;
    else die("bad --algorithm", algorithm);

    buffer pem = read_file(key);
    char *pemz = malloc(pem.len + 1);
    if (pemz == NULL) die("out of memory", NULL);
    memcpy(pemz, pem.data, pem.len);
    pemz[pem.len] = '\0';

    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (lib == NULL) die("dkim_init failed", NULL);
    set_fixed_time(lib, now);
    if (length) {
        unsigned int flags = 0;
        dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
        flags |= DKIM_LIBFLAGS_SIGNLEN;
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    }

    if (expire != NULL) {
        uint64_t ttl = strtoull(expire, NULL, 10);
        if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl, sizeof ttl) != DKIM_STAT_OK)
            die("cannot set the signature lifetime", expire);
    }
    if (oversign != NULL) {
        static const char *names[16];
        char *copy = strdup(oversign), *last = NULL;
        int n = 0;
        if (copy == NULL) die("out of memory", NULL);
        for (char *t = strtok_r(copy, ":", &last); t != NULL && n < 15; t = strtok_r(NULL, ":", &last)) names[n++] = t;
        names[n] = NULL;
        if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, names, sizeof(char **)) != DKIM_STAT_OK)
            die("cannot set the oversigned fields", oversign);
    }

    int failures = 0;
    for (; i < argc; i++) {
        buffer raw = read_file(argv[i]);
        buffer msg = to_crlf(raw);
        complete_final_crlf(&msg);
        DKIM_STAT st;
        DKIM *dkim = dkim_sign(lib, (const unsigned char *)argv[i], NULL, (dkim_sigkey_t)pemz,
                               (const unsigned char *)selector, (const unsigned char *)domain, hc, bc, alg, -1,
                               &st);
        if (dkim == NULL) die("dkim_sign failed", dkim_getresultstr(st));
        if (identity != NULL) dkim_set_signer(dkim, (const unsigned char *)identity);
        st = feed(dkim, msg);
        static unsigned char field[16384];
        const char *name = "DKIM-Signature: ";
        if (st == DKIM_STAT_OK) st = dkim_getsighdr(dkim, field, sizeof field, strlen(name));
        if (st != DKIM_STAT_OK) {
            fprintf(stderr, "peer_opendkim: %s: %s (%s)\n", argv[i], dkim_getresultstr(st), dkim_geterror(dkim));
            failures++;
        } else {
            const char *base = strrchr(argv[i], '/');
            base = base ? base + 1 : argv[i];
            size_t pathlen = strlen(outdir) + strlen(base) + 2;
            char *path = malloc(pathlen);
            if (path == NULL) die("out of memory", NULL);
            snprintf(path, pathlen, "%s/%s", outdir, base);
            FILE *out = fopen(path, "wb");
            if (out == NULL) die("cannot write", path);
            fputs(name, out);
            /* libopendkim folds with bare LF (as milters hand it fields); the message travels with CRLF. */
            for (unsigned char *p = field; *p; p++) {
                if (*p == '\n' && (p == field || p[-1] != '\r')) fputc('\r', out);
                fputc(*p, out);
            }
            fputs("\r\n", out);
            fwrite(msg.data, 1, msg.len, out);
            fclose(out);
            free(path);
        }
        dkim_free(dkim);
        free(raw.data);
        free(msg.data);
    }
    dkim_close(lib);
    return failures ? 1 : 0;
}

static const char *alg_name(DKIM_SIGINFO *sig) {
    dkim_alg_t alg;
    if (dkim_sig_getsignalg(sig, &alg) != DKIM_STAT_OK) return NULL;
    switch (alg) {
    case DKIM_SIGN_RSASHA1: return "rsa-sha1";
    case DKIM_SIGN_RSASHA256: return "rsa-sha256";
    case DKIM_SIGN_ED25519SHA256: return "ed25519-sha256";
    default: return NULL;
    }
}

static int cmd_verify(int argc, char **argv) {
    const char *nameserver = NULL, *now = NULL;
    bool as_is = false;
    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--as-is") == 0) { as_is = true; continue; }
        if (strncmp(a, "--", 2) != 0) break;
        if (i + 1 >= argc) die("missing value for", a);
        const char *v = argv[++i];
        if (strcmp(a, "--nameserver") == 0) nameserver = v;
        else if (strcmp(a, "--now") == 0) now = v;
        else die("unknown option", a);
    }
    if (nameserver == NULL || i >= argc) die("verify needs --nameserver HOST:PORT FILE...", NULL);

    DKIM_LIB *lib = dkim_init(NULL, NULL);
    if (lib == NULL) die("dkim_init failed", NULL);
    use_nameserver(lib, nameserver);
    set_fixed_time(lib, now);
    unsigned int flags = 0;
    dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    /* Keep a handle for every signature, the bad ones too, so each gets a verdict. */
    flags |= DKIM_LIBFLAGS_BADSIGHANDLES;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);

    for (; i < argc; i++) {
        buffer raw = read_file(argv[i]);
        buffer msg = to_crlf(raw);
        if (!as_is) complete_final_crlf(&msg);
        DKIM_STAT st;
        DKIM *dkim = dkim_verify(lib, (const unsigned char *)argv[i], NULL, &st);
        if (dkim == NULL) die("dkim_verify failed", dkim_getresultstr(st));
        DKIM_STAT final = feed(dkim, msg);
        DKIM_SIGINFO **sigs = NULL;
        int nsigs = 0;
        fputs("{\"file\": ", stdout);
        json_string(stdout, argv[i]);
        fputs(", \"status\": ", stdout);
        json_string(stdout, dkim_getresultstr(final));
        fputs(", \"signatures\": [", stdout);
        if (dkim_getsiglist(dkim, &sigs, &nsigs) == DKIM_STAT_OK) {
            for (int k = 0; k < nsigs; k++) {
                DKIM_SIGINFO *sig = sigs[k];
                unsigned int sflags = dkim_sig_getflags(sig);
                int bh = dkim_sig_getbh(sig);
                int err = dkim_sig_geterror(sig);
                const char *result;
                if ((sflags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH) result = "pass";
                else if (err == DKIM_SIGERROR_KEYFAIL) result = "temperror";
                else if (bh == DKIM_SIGBH_MISMATCH || err == DKIM_SIGERROR_BADSIG
                         || (err == DKIM_SIGERROR_OK && (sflags & DKIM_SIGFLAG_PROCESSED))) result = "fail";
                else result = "permerror";
                const char *reason = err == DKIM_SIGERROR_OK
                    ? (bh == DKIM_SIGBH_MISMATCH ? "body hash mismatch" : NULL) : dkim_sig_geterrorstr(err);
                fprintf(stdout, "%s{\"index\": %d, \"result\": \"%s\", \"reason\": ", k ? ", " : "", k, result);
                json_string(stdout, reason);
                fprintf(stdout, ", \"flags\": %u, \"bh\": %d, \"error\": %d, \"domain\": ", sflags, bh, err);
                json_string(stdout, (const char *)dkim_sig_getdomain(sig));
                fputs(", \"selector\": ", stdout);
                json_string(stdout, (const char *)dkim_sig_getselector(sig));
                fputs(", \"algorithm\": ", stdout);
                json_string(stdout, alg_name(sig));
                fputs("}", stdout);
            }
        }
        fputs("]}\n", stdout);
        fflush(stdout);
        dkim_free(dkim);
        free(raw.data);
        free(msg.data);
    }
    dkim_close(lib);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "sign") == 0) return cmd_sign(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0) return cmd_verify(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "version") == 0) {
        unsigned long v = dkim_libversion();
        printf("libopendkim %lu.%lu.%lu\n", (v >> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff);
        return 0;
    }
    fputs("usage: peer_opendkim sign|verify|version ...\n", stderr);
    return 64;
}
