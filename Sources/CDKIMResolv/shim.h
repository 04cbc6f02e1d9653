#ifndef CDKIM_RESOLV_SHIM_H
#define CDKIM_RESOLV_SHIM_H

// The C resolver (glibc libresolv) for DKIMCore/DNS.
//
// glibc renames res_ninit / res_nclose to __res_* with macros Swift does not import, and
// struct __res_state keeps IPv6 name servers in a union; these wrappers hide both. Every
// wrapper uses its own resolver state on the stack, so they are safe to call from any thread.

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>

/// Copies up to `max` name servers from /etc/resolv.conf into `out` (IPv4 or IPv6).
/// Returns how many were copied, or -1 when the resolver could not be initialised.
static inline int cdkim_system_nameservers(struct sockaddr_storage *out, int max) {
    struct __res_state state;
    memset(&state, 0, sizeof(state));
    if (res_ninit(&state) != 0) {
        res_nclose(&state);
        return -1;
    }
    int count = 0;
    for (int i = 0; i < state.nscount && i < MAXNS && count < max; i++) {
        struct sockaddr_in6 *v6 = state._u._ext.nsaddrs[i];
        memset(&out[count], 0, sizeof(out[count]));
        if (v6 != NULL && v6->sin6_family == AF_INET6) {
            memcpy(&out[count], v6, sizeof(*v6));
            count++;
        } else if (state.nsaddr_list[i].sin_family == AF_INET) {
            memcpy(&out[count], &state.nsaddr_list[i], sizeof(state.nsaddr_list[i]));
            count++;
        }
    }
    res_nclose(&state);
    return count;
}

/// Builds a standard query (RD set, random ID) for `name`, class IN, type `type` into `buf`.
/// Returns the query length, or -1 when the name cannot be encoded or the buffer is too small.
static inline int cdkim_make_query(const char *name, int type, unsigned char *buf, int buflen) {
    struct __res_state state;
    memset(&state, 0, sizeof(state));
    if (res_ninit(&state) != 0) {
        res_nclose(&state);
        return -1;
    }
    int length = res_nmkquery(&state, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, buf, buflen);
    res_nclose(&state);
    return length;
}

/// The size of an IPv4 socket address, for Swift callers filling a sockaddr_storage.
static inline socklen_t cdkim_sockaddr_in_size(void) { return (socklen_t)sizeof(struct sockaddr_in); }

/// The size of an IPv6 socket address, for Swift callers filling a sockaddr_storage.
static inline socklen_t cdkim_sockaddr_in6_size(void) { return (socklen_t)sizeof(struct sockaddr_in6); }

/// Fills `out` with `address` (an IPv4 or IPv6 literal) and `port`. Returns 0 on success, -1 if not a literal.
static inline int cdkim_make_sockaddr(const char *address, unsigned short port,
                                      struct sockaddr_storage *out, socklen_t *length) {
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *length = sizeof(struct sockaddr_in);
        return 0;
    }
    memset(out, 0, sizeof(*out));
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *length = sizeof(struct sockaddr_in6);
        return 0;
    }
    return -1;
}

/// The length of the socket address in `address` by its family, or 0 for an unknown family.
static inline socklen_t cdkim_sockaddr_length(const struct sockaddr_storage *address) {
    if (address->ss_family == AF_INET) { return sizeof(struct sockaddr_in); }
    if (address->ss_family == AF_INET6) { return sizeof(struct sockaddr_in6); }
    return 0;
}

/// Renders `address` as "HOST:PORT" / "[HOST]:PORT" into `out`. Returns 0 on success.
static inline int cdkim_format_sockaddr(const struct sockaddr_storage *address, char *out, size_t outlen) {
    char host[INET6_ADDRSTRLEN];
    if (address->ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        if (inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host)) == NULL) { return -1; }
        snprintf(out, outlen, "%s:%u", host, (unsigned)ntohs(v4->sin_port));
        return 0;
    }
    if (address->ss_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        if (inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host)) == NULL) { return -1; }
        snprintf(out, outlen, "[%s]:%u", host, (unsigned)ntohs(v6->sin6_port));
        return 0;
    }
    return -1;
}

#endif
