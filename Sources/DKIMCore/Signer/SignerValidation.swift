/// Checks ``SignOptions`` before any signing, so mistakes surface as one clear error.
enum SignerValidation {
    static func validate(_ options: SignOptions) throws(DKIMError) {
        // The same syntax rules the parser applies (RFC 6376 §3.5), so we never write what verifiers refuse.
        do {
            _ = try DKIMSignature.domainName(Array(options.domain.utf8), tag: "d", minimumLabels: 2)
            _ = try DKIMSignature.domainName(Array(options.selector.utf8), tag: "s", minimumLabels: 1)
        } catch {
            throw DKIMError(.invalidOption, "Invalid signing domain or selector: \(error.reason)")
        }
        if let identity = options.identity {
            // RFC 6376 §3.5 i=: [ Local-part ] "@" domain-name, the domain equal to d= or a subdomain of it.
            guard let at = identity.lastIndex(of: "@") else {
                throw DKIMError(.invalidOption, "The identity \"\(identity)\" has no \"@\" (write @\(options.domain) "
                                                + "or user@\(options.domain)).")
            }
            let identityDomain = String(identity[identity.index(after: at)...])
            guard DKIMSignature.isSameOrSubdomain(identityDomain, of: options.domain) else {
                throw DKIMError(.invalidOption, "The identity \"\(identity)\" is outside the signing domain "
                                                + "\(options.domain); i= must be in d= or a subdomain (RFC 6376 §3.5).")
            }
        }
        if let names = options.signedHeaders {
            guard names.contains(where: { $0.lowercased() == "from" }) else {
                throw DKIMError(.invalidOption, "The signed header list must include From (RFC 6376 §5.4).")
            }
            for name in names where name.isEmpty || !name.utf8.allSatisfy(ASCII.isFieldNameChar) {
                throw DKIMError(.invalidOption, "\"\(name)\" is not a valid header field name.")
            }
        }
        for name in options.oversignedHeaders where name.isEmpty || !name.utf8.allSatisfy(ASCII.isFieldNameChar) {
            throw DKIMError(.invalidOption, "\"\(name)\" is not a valid header field name.")
        }
        if let seconds = options.expiresAfter, seconds <= 0 {
            throw DKIMError(.invalidOption, "The expiry must be a positive number of seconds.")
        }
    }

    /// Renders a signature made from the options and parses it back, once per signer: the signer then builds
    /// each message's field from the same parts without the round trip, and still writes only what verifiers read.
    static func validateRendering(_ options: SignOptions) throws(DKIMError) {
        let sampleTime: Int64 = 1_000_000_000
        _ = try DKIMSignature(
            algorithm: options.key.type == .ed25519 ? .ed25519SHA256 : .rsaSHA256,
            bodyHash: [UInt8](repeating: 0, count: 32),
            canonicalization: options.canonicalization,
            domain: options.domain,
            signedHeaders: options.signedHeaders ?? ["from"],
            identity: options.identity,
            bodyLength: options.includeBodyLength ? 0 : nil,
            selector: options.selector,
            timestamp: options.includeTimestamp ? sampleTime : nil,
            expiration: options.expiresAfter.map { sampleTime + min($0, 1_000_000) }
        )
    }

    /// The RFC 6376 §3.5 rules for `t=` and `x=` (1*12DIGIT, `x=` after `t=`) on one message's values.
    static func validateTimes(timestamp: Int64?, expiration: Int64?) throws(DKIMError) {
        let largest: Int64 = 999_999_999_999
        if let timestamp, !(0...largest).contains(timestamp) {
            throw DKIMError(.invalidOption, "The clock gave \(timestamp), which t= cannot hold (RFC 6376 §3.5).")
        }
        if let expiration, !(0...largest).contains(expiration) {
            throw DKIMError(.invalidOption, "The expiry \(expiration) cannot be written as x= (RFC 6376 §3.5).")
        }
        if let timestamp, let expiration, expiration <= timestamp {
            throw DKIMError(.invalidOption, "x=\(expiration) is not after t=\(timestamp) (RFC 6376 §3.5).")
        }
    }
}
