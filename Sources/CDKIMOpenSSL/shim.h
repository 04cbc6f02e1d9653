#ifndef CDKIM_OPENSSL_SHIM_H
#define CDKIM_OPENSSL_SHIM_H

#include <openssl/opensslv.h>

#if !defined(OPENSSL_VERSION_MAJOR) || OPENSSL_VERSION_MAJOR < 3
#error "swift-dkim requires OpenSSL 3 or later (apt install libssl-dev)"
#endif

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

// Function-like macros are not imported by Swift; these wrap the ones Crypto/ needs.

static inline int cdkim_BIO_get_mem_data(BIO *bio, char **data) {
    return (int)BIO_get_mem_data(bio, data);
}

static inline int cdkim_EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *ctx, int padding) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, padding);
}

static inline int cdkim_EVP_PKEY_CTX_set_rsa_keygen_bits(EVP_PKEY_CTX *ctx, int bits) {
    return EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits);
}

// SHA-256 through the low-level API (Crypto/SHA256.swift says why). OpenSSL 3 marks these functions deprecated but
// still exports them unless it was built with no-deprecated, which removes them and SHA256_CTX: fail loudly then.
// The wrappers keep the deprecation inside this header, so Swift calls non-deprecated names. <openssl/x509.h> has
// already included <openssl/sha.h> above, so defining OPENSSL_SUPPRESS_DEPRECATED here would come too late, and
// defining it before every include would hide the deprecation of all of OpenSSL from Swift: the warning is silenced
// for these three calls only.
#ifdef OPENSSL_NO_DEPRECATED_3_0
#error "swift-dkim needs SHA256_Init/SHA256_Update/SHA256_Final (OpenSSL built with no-deprecated lacks them)"
#endif

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"

static inline int cdkim_SHA256_Init(SHA256_CTX *ctx) {
    return SHA256_Init(ctx);
}

static inline int cdkim_SHA256_Update(SHA256_CTX *ctx, const void *data, size_t count) {
    return SHA256_Update(ctx, data, count);
}

static inline int cdkim_SHA256_Final(unsigned char *digest, SHA256_CTX *ctx) {
    return SHA256_Final(digest, ctx);
}

#pragma clang diagnostic pop

#endif
