import CDKIMOpenSSL

/// Owns one OpenSSL `EVP_PKEY` and holds every C call DKIM keys need.
///
/// `@unchecked Sendable` is sound because the key is never mutated after construction and OpenSSL 3 allows
/// concurrent sign/verify operations on one `EVP_PKEY` as long as each uses its own `EVP_PKEY_CTX` / `EVP_MD_CTX`:
/// every method here creates and frees its context locally, except RSA signing and verification, which borrow a
/// prepared context from a small pool, used by one caller at a time (taken and returned under a lock).
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Ready RSA signing contexts (`EVP_PKEY_sign_init`, PKCS#1 v1.5 padding, SHA-256). A signer signs every
    /// message of a batch with one key; setting a context up fetches the algorithm through OpenSSL's shared method
    /// store, whose locks the threads of a batch would otherwise take once per message.
    private let signContexts = ContextPool()
    /// Ready RSA verification contexts, likewise. Setting one up costs about as much as the verification of a small
    /// message outside the modular exponentiation, and a cached key verifies many messages.
    private let verifyContexts = ContextPool()

    /// Takes ownership of `pointer`; `deinit` frees it.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    // MARK: Import

    /// Decodes a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    static func privateKey(pem: String) throws -> EVPKey {
        let bytes = Array(pem.utf8)
        guard !bytes.isEmpty, bytes.count <= Int(Int32.max) else {
            throw DKIMError(.malformedKey, "The private key PEM is empty or too long.")
        }
        let decoded: OpaquePointer? = bytes.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress, let bio = BIO_new_mem_buf(base, Int32(buffer.count)) else {
                return nil
            }
            defer { BIO_free(bio) }
            // Encrypted keys are refused: without this callback OpenSSL would prompt on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let decoded else {
            throw OpenSSLError.make(
                .malformedKey,
                "The private key PEM could not be read; expected an unencrypted 'BEGIN PRIVATE KEY' (PKCS#8) "
                    + "or 'BEGIN RSA PRIVATE KEY' (PKCS#1) block"
            )
        }
        OpenSSLError.clear()
        return try EVPKey(taking: decoded).checkedPair()
    }

    /// Decodes a DER private key: PKCS#8 PrivateKeyInfo or PKCS#1 RSAPrivateKey; trailing bytes are refused.
    static func privateKey(der: [UInt8]) throws -> EVPKey {
        let decoded = decodeWhole(der) { cursor, length in d2i_AutoPrivateKey(nil, cursor, length) }
        guard let decoded else {
            throw OpenSSLError.make(
                .malformedKey, "The private key DER is neither a PKCS#8 PrivateKeyInfo nor a PKCS#1 RSAPrivateKey"
            )
        }
        OpenSSLError.clear()
        return try EVPKey(taking: decoded).checkedPair()
    }

    /// Checks that the private and public halves belong together, so a damaged key file is refused instead of
    /// signing with a key whose published record would not verify: one signature over a fixed digest, made with the
    /// private half and checked with the public half (as every verifier will).
    ///
    /// Not `EVP_PKEY_pairwise_check`: for RSA, OpenSSL 3.0 runs primality tests on p and q there, about 40 ms for
    /// a 2048-bit key, which was most of the run time of a one-message `dkimtool sign` and the serial part of a batch.
    /// The signature test takes under half a millisecond and refuses exactly the keys whose signatures fail.
    private func checkedPair() throws -> EVPKey {
        let probe = [UInt8](repeating: 0x5A, count: 32)  // a SHA-256-sized digest; any fixed value does
        let consistent: Bool
        switch keyType {
        case .rsa:
            consistent = (try? rsaSign(digest: probe)).map { rsaVerify(signature: $0, digest: probe) } ?? false
        case .ed25519:
            consistent = (try? ed25519Sign(message: probe)).map { ed25519Verify(signature: $0, message: probe) }
                ?? false
        case nil:
            // Not a DKIM key type: the caller refuses it by type; nothing to check here.
            consistent = true
        }
        OpenSSLError.clear()
        guard consistent else {
            throw OpenSSLError.make(.malformedKey, "The private key is inconsistent (its public and private parts "
                + "do not match); the file is damaged")
        }
        return self
    }

    /// Decodes a DER public key: SubjectPublicKeyInfo, or else a bare PKCS#1 RSAPublicKey; trailing bytes are refused.
    static func publicKey(der: [UInt8]) throws -> EVPKey {
        guard der.count <= DKIMKeySize.maximumPublicKeyDERBytes else {
            throw DKIMError(
                .keyTooLarge,
                "The public key is \(der.count) bytes of DER, more than any RSA key of at most "
                    + "\(DKIMKeySize.maximumRSABits) bits needs."
            )
        }
        if let spki = decodeWhole(der, { cursor, length in d2i_PUBKEY(nil, cursor, length) }) {
            OpenSSLError.clear()
            return EVPKey(taking: spki)
        }
        OpenSSLError.clear()
        // Real p= values sometimes carry the bare RSAPublicKey (RFC 3447 §A.1.1) instead of the SPKI.
        if let pkcs1 = decodeWhole(der, { cursor, length in d2i_PublicKey(EVP_PKEY_RSA, nil, cursor, length) }) {
            OpenSSLError.clear()
            return EVPKey(taking: pkcs1)
        }
        OpenSSLError.clear()
        throw DKIMError(
            .malformedKey,
            "The public key is neither a SubjectPublicKeyInfo nor a PKCS#1 RSAPublicKey DER structure."
        )
    }

    /// Builds an Ed25519 public key from its 32 raw bytes (RFC 8032 §5.1.5, RFC 8463 §4).
    static func ed25519PublicKey(raw: [UInt8]) throws -> EVPKey {
        guard raw.count == DKIMKeySize.ed25519PublicKeyBytes else {
            throw DKIMError(
                .malformedKey,
                "An Ed25519 public key is \(DKIMKeySize.ed25519PublicKeyBytes) bytes; this one is \(raw.count)."
            )
        }
        let key = raw.withUnsafeBufferPointer { buffer in
            EVP_PKEY_new_raw_public_key_ex(nil, "ED25519", nil, buffer.baseAddress, buffer.count)
        }
        guard let key else {
            throw OpenSSLError.make(.malformedKey, "The Ed25519 public key could not be loaded")
        }
        return EVPKey(taking: key)
    }

    /// Builds an Ed25519 private key from its 32-byte seed (RFC 8032 §5.1.5).
    static func ed25519PrivateKey(raw: [UInt8]) throws -> EVPKey {
        guard raw.count == DKIMKeySize.ed25519PrivateKeyBytes else {
            throw DKIMError(
                .malformedKey,
                "An Ed25519 private key is \(DKIMKeySize.ed25519PrivateKeyBytes) bytes; this one is \(raw.count)."
            )
        }
        let key = raw.withUnsafeBufferPointer { buffer in
            EVP_PKEY_new_raw_private_key_ex(nil, "ED25519", nil, buffer.baseAddress, buffer.count)
        }
        guard let key else {
            throw OpenSSLError.make(.malformedKey, "The Ed25519 private key could not be loaded")
        }
        return EVPKey(taking: key)
    }

    /// Runs a `d2i_*` decoder and accepts its result only if it consumed every byte.
    private static func decodeWhole(
        _ der: [UInt8],
        _ decode: (UnsafeMutablePointer<UnsafePointer<UInt8>?>, Int) -> OpaquePointer?
    ) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let key = decode(&cursor, buffer.count) else { return nil }
            guard let end = cursor, end - base == buffer.count else {
                EVP_PKEY_free(key)
                return nil
            }
            return key
        }
    }

    // MARK: Generation

    /// Generates a new RSA key of `bits` bits (public exponent 65537, OpenSSL's default).
    static func generateRSA(bits: Int) throws -> EVPKey {
        guard let bits32 = Int32(exactly: bits) else {
            throw DKIMError(.invalidOption, "\(bits) is not a usable RSA key size.")
        }
        return try generate(algorithm: "RSA") { context in
            cdkim_EVP_PKEY_CTX_set_rsa_keygen_bits(context, bits32) == 1
        }
    }

    /// Generates a new Ed25519 key.
    static func generateEd25519() throws -> EVPKey {
        try generate(algorithm: "ED25519") { _ in true }
    }

    private static func generate(algorithm: String, configure: (OpaquePointer) -> Bool) throws -> EVPKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw OpenSSLError.make(.cryptoFailure, "OpenSSL has no \(algorithm) key generator")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1, configure(context) else {
            throw OpenSSLError.make(.cryptoFailure, "The \(algorithm) key generator could not be set up")
        }
        var generated: OpaquePointer?
        guard EVP_PKEY_generate(context, &generated) == 1, let generated else {
            throw OpenSSLError.make(.cryptoFailure, "\(algorithm) key generation failed")
        }
        return EVPKey(taking: generated)
    }

    // MARK: Properties and export

    /// The DKIM key type, or `nil` for any other algorithm (EC, DSA, RSA-PSS, Ed448, ...).
    var keyType: DKIMKeyType? {
        if EVP_PKEY_is_a(pointer, "RSA") == 1 { return .rsa }
        if EVP_PKEY_is_a(pointer, "ED25519") == 1 { return .ed25519 }
        return nil
    }

    /// The OpenSSL name of the key's algorithm, for messages.
    var algorithmName: String {
        guard let name = EVP_PKEY_get0_type_name(pointer) else { return "unknown" }
        return String(cString: name)
    }

    /// The RSA modulus length in bits.
    var rsaBits: Int {
        Int(EVP_PKEY_get_bits(pointer))
    }

    /// The SubjectPublicKeyInfo DER of a public key, in OpenSSL's encoding (for a key OpenSSL decoded).
    func subjectPublicKeyInfo() throws -> [UInt8] {
        var encoded: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pointer, &encoded)
        guard length > 0, let encoded else {
            throw OpenSSLError.make(.cryptoFailure, "The public key could not be encoded as SubjectPublicKeyInfo")
        }
        defer { CRYPTO_free(encoded, nil, 0) }
        return Array(UnsafeBufferPointer(start: encoded, count: Int(length)))
    }

    /// The public half of a private key as a key of its own, with its SubjectPublicKeyInfo DER, built from the
    /// key's numbers (the RSA modulus and exponent, the 32 Ed25519 bytes) rather than through OpenSSL's encoder and
    /// decoder (``SubjectPublicKeyInfo`` says why). For a private key, whose halves were checked against each other
    /// when it was imported (`checkedPair()`) or belong together because it was generated; a decoded public key
    /// keeps OpenSSL's own key and encoding (``subjectPublicKeyInfo()``).
    func publicHalf(type: DKIMKeyType) throws -> (key: EVPKey, subjectPublicKeyInfo: [UInt8]) {
        switch type {
        case .ed25519:
            let raw = try rawPublicKey()
            return (try Self.ed25519PublicKey(raw: raw), SubjectPublicKeyInfo.ed25519(raw))
        case .rsa:
            var modulus: OpaquePointer?
            var exponent: OpaquePointer?
            defer {
                BN_free(modulus)
                BN_free(exponent)
            }
            guard EVP_PKEY_get_bn_param(pointer, Self.cString(Self.modulusName), &modulus) == 1,
                  EVP_PKEY_get_bn_param(pointer, Self.cString(Self.exponentName), &exponent) == 1,
                  let modulus, let exponent
            else {
                throw OpenSSLError.make(.cryptoFailure, "The RSA modulus and exponent could not be read")
            }
            let key = try Self.rsaPublicKey(modulus: modulus, exponent: exponent)
            let spki = SubjectPublicKeyInfo.rsa(modulus: try Self.bytes(of: modulus),
                                                exponent: try Self.bytes(of: exponent))
            return (key, spki)
        }
    }

    /// `OSSL_PKEY_PARAM_RSA_N` and `OSSL_PKEY_PARAM_RSA_E`, as strings that live as long as the program.
    private static let modulusName: StaticString = "n"
    private static let exponentName: StaticString = "e"

    private static func cString(_ string: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(string.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// An RSA public key from its modulus and exponent (OpenSSL `BIGNUM`s).
    private static func rsaPublicKey(modulus: OpaquePointer, exponent: OpaquePointer) throws -> EVPKey {
        guard let builder = OSSL_PARAM_BLD_new() else {
            throw OpenSSLError.make(.cryptoFailure, "The RSA public key could not be built")
        }
        defer { OSSL_PARAM_BLD_free(builder) }
        // The builder keeps the names' pointers until `to_param`: static strings, not Swift temporaries.
        guard OSSL_PARAM_BLD_push_BN(builder, Self.cString(Self.modulusName), modulus) == 1,
              OSSL_PARAM_BLD_push_BN(builder, Self.cString(Self.exponentName), exponent) == 1,
              let parameters = OSSL_PARAM_BLD_to_param(builder)
        else {
            throw OpenSSLError.make(.cryptoFailure, "The RSA public key could not be built")
        }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw OpenSSLError.make(.cryptoFailure, "The RSA public key could not be built")
        }
        defer { EVP_PKEY_CTX_free(context) }
        // EVP_PKEY_PUBLIC_KEY, a macro Swift does not import: the public key and the key's parameters.
        let selection = Int32(OSSL_KEYMGMT_SELECT_PUBLIC_KEY | OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS
            | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS)
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1, EVP_PKEY_fromdata(context, &key, selection, parameters) == 1,
              let key
        else {
            throw OpenSSLError.make(.cryptoFailure, "The RSA public key could not be built")
        }
        return EVPKey(taking: key)
    }

    /// A non-negative `BIGNUM` as big-endian bytes without leading zeros (none for zero).
    private static func bytes(of number: OpaquePointer) throws -> [UInt8] {
        let count = (Int(BN_num_bits(number)) + 7) / 8
        var bytes = [UInt8](repeating: 0, count: count)
        let written = bytes.withUnsafeMutableBufferPointer { BN_bn2bin(number, $0.baseAddress) }
        guard written == count else {
            throw OpenSSLError.make(.cryptoFailure, "An RSA number could not be read")
        }
        return bytes
    }

    /// The 32 raw bytes of an Ed25519 public key.
    func rawPublicKey() throws -> [UInt8] {
        var length = 0
        guard EVP_PKEY_get_raw_public_key(pointer, nil, &length) == 1, length > 0 else {
            throw OpenSSLError.make(.cryptoFailure, "The raw public key could not be read")
        }
        var output = [UInt8](repeating: 0, count: length)
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            EVP_PKEY_get_raw_public_key(pointer, buffer.baseAddress, &length)
        }
        guard ok == 1 else {
            throw OpenSSLError.make(.cryptoFailure, "The raw public key could not be read")
        }
        return Array(output.prefix(length))
    }

    /// The private key as unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    func pkcs8PEM() throws -> String {
        guard let method = BIO_s_mem(), let bio = BIO_new(method) else {
            throw OpenSSLError.make(.cryptoFailure, "A memory BIO could not be allocated")
        }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PKCS8PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLError.make(.cryptoFailure, "The private key could not be encoded as PKCS#8 PEM")
        }
        var data: UnsafeMutablePointer<CChar>?
        let length = cdkim_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else {
            throw OpenSSLError.make(.cryptoFailure, "The PKCS#8 PEM could not be read back")
        }
        let bytes = UnsafeRawBufferPointer(start: data, count: Int(length))
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Sign and verify

    /// RSASSA-PKCS1-v1_5 over a SHA-256 digest: OpenSSL wraps `digest` in the SHA-256 DigestInfo (RFC 8017 §9.2).
    func rsaSign(digest: [UInt8]) throws -> [UInt8] {
        let context = try signContexts.take() ?? rsaContext(forSigning: true)
        // The signature is as long as the modulus (RFC 8017 §8.2.1).
        var length = Int(EVP_PKEY_get_size(pointer))
        var signature = [UInt8](repeating: 0, count: max(length, 1))
        let ok = signature.withUnsafeMutableBufferPointer { buffer in
            EVP_PKEY_sign(context, buffer.baseAddress, &length, digest, digest.count)
        }
        guard ok == 1, length > 0, length <= signature.count else {
            // A context whose operation failed is not put back: its state is OpenSSL's to know.
            EVP_PKEY_CTX_free(context)
            throw OpenSSLError.make(.cryptoFailure, "RSA signing failed")
        }
        signContexts.put(context)
        if length < signature.count { signature.removeLast(signature.count - length) }
        return signature
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature over `digest`; any OpenSSL failure counts as "not valid".
    func rsaVerify(signature: [UInt8], digest: [UInt8]) -> Bool {
        digest.withUnsafeBufferPointer { rsaVerify(signature: signature, digest: $0) }
    }

    /// ``rsaVerify(signature:digest:)`` over digest bytes read in place.
    func rsaVerify(signature: [UInt8], digest: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let context = verifyContexts.take() ?? (try? rsaContext(forSigning: false)) else {
            OpenSSLError.clear()
            return false
        }
        let result = EVP_PKEY_verify(context, signature, signature.count, digest.baseAddress, digest.count)
        OpenSSLError.clear()
        // `EVP_PKEY_verify` leaves the context ready for the next call, whatever its verdict.
        verifyContexts.put(context)
        return result == 1
    }

    private func rsaContext(forSigning: Bool) throws -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) else {
            throw OpenSSLError.make(.cryptoFailure, "An RSA operation context could not be allocated")
        }
        let initialised = forSigning ? EVP_PKEY_sign_init(context) : EVP_PKEY_verify_init(context)
        guard initialised == 1,
            cdkim_EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1,
            EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1
        else {
            EVP_PKEY_CTX_free(context)
            throw OpenSSLError.make(.cryptoFailure, "The RSA PKCS#1 v1.5 SHA-256 operation could not be set up")
        }
        return context
    }

    /// PureEdDSA (Ed25519, RFC 8032 §5.1.6) over `message`.
    func ed25519Sign(message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else {
            throw OpenSSLError.make(.cryptoFailure, "A signing context could not be allocated")
        }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit_ex(context, nil, nil, nil, nil, pointer, nil) == 1 else {
            throw OpenSSLError.make(.cryptoFailure, "Ed25519 signing could not be set up")
        }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = signature.count
        let ok = withNonNullBytes(message) { messagePointer in
            signature.withUnsafeMutableBufferPointer { buffer in
                EVP_DigestSign(context, buffer.baseAddress, &length, messagePointer, message.count)
            }
        }
        guard ok == 1 else {
            throw OpenSSLError.make(.cryptoFailure, "Ed25519 signing failed")
        }
        return Array(signature.prefix(length))
    }

    /// Checks a PureEdDSA (Ed25519) signature over `message`; any OpenSSL failure counts as "not valid".
    func ed25519Verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else {
            OpenSSLError.clear()
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit_ex(context, nil, nil, nil, nil, pointer, nil) == 1 else {
            OpenSSLError.clear()
            return false
        }
        let result = withNonNullBytes(message) { messagePointer in
            withNonNullBytes(signature) { signaturePointer in
                EVP_DigestVerify(context, signaturePointer, signature.count, messagePointer, message.count)
            }
        }
        OpenSSLError.clear()
        return result == 1
    }

    /// Passes a non-null pointer even for an empty array (RFC 8032 TEST 1 signs the empty message).
    private func withNonNullBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>) -> R) -> R {
        if bytes.isEmpty {
            let placeholder: UInt8 = 0
            return withUnsafePointer(to: placeholder) { body($0) }
        }
        return bytes.withUnsafeBufferPointer { buffer in
            // A non-empty array always has storage.
            guard let base = buffer.baseAddress else {
                let placeholder: UInt8 = 0
                return withUnsafePointer(to: placeholder) { body($0) }
            }
            return body(base)
        }
    }
}

/// Prepared `EVP_PKEY_CTX`s of one key and one operation, each owned by exactly one holder at a time: the pool, or
/// the operation that took it. That single ownership is what makes moving a context between threads sound.
private final class ContextPool: Sendable {
    private struct Context: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// The most contexts kept: one per concurrently signing or verifying thread is enough.
    private static let capacity = 16
    private let contexts = LockedValue<[Context]>([])

    deinit {
        contexts.withLock { contexts in
            for context in contexts { EVP_PKEY_CTX_free(context.pointer) }
            contexts.removeAll()
        }
    }

    /// A ready context, or nil when none is free.
    func take() -> OpaquePointer? {
        contexts.withLock { $0.popLast() }?.pointer
    }

    /// Returns a context taken or made for this pool; frees it when the pool is full.
    func put(_ context: OpaquePointer) {
        let kept = contexts.withLock { contexts in
            guard contexts.count < Self.capacity else { return false }
            contexts.append(Context(pointer: context))
            return true
        }
        if !kept { EVP_PKEY_CTX_free(context) }
    }
}
