/// Checks ``SignOptions`` before any signing, so mistakes surface as one clear error.
enum SignerValidation {
    static func validate(_ options: SignOptions) throws(DKIMError) {
        guard DomainName.isValid(options.domain) else {
            throw DKIMError(.invalidOption, "The signing domain \"\(options.domain)\" is not a valid domain name.")
        }
        guard DomainName.isValid(options.selector) else {
            throw DKIMError(.invalidOption, "The selector \"\(options.selector)\" is not a valid DNS name "
                                            + "(letters, digits, hyphens, dots).")
        }
        if let identity = options.identity {
            // RFC 6376 §3.5 i=: [ Local-part ] "@" domain-name, the domain equal to d= or a subdomain of it.
            guard let at = identity.lastIndex(of: "@") else {
                throw DKIMError(.invalidOption, "The identity \"\(identity)\" has no \"@\" (write @\(options.domain) "
                                                + "or user@\(options.domain)).")
            }
            let identityDomain = String(identity[identity.index(after: at)...])
            guard DomainName.isSameOrSubdomain(identityDomain, of: options.domain) else {
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
}

/// DNS name syntax as DKIM needs it for `d=` and `s=` (RFC 6376 §3.5: domain-name / selector = sub-domain).
enum DomainName {
    /// Letters, digits, hyphens and underscores in dot-separated labels of 1–63 octets, 253 octets in all.
    static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        return bytes.split(separator: ASCII.period, omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != ASCII.hyphen && label.last != ASCII.hyphen
                && label.allSatisfy { ASCII.isAlnum($0) || $0 == ASCII.hyphen || $0 == ASCII.underscore }
        }
    }

    /// `name` equals `domain` or ends with "." + `domain`, ignoring case.
    static func isSameOrSubdomain(_ name: String, of domain: String) -> Bool {
        let name = name.lowercased()
        let domain = domain.lowercased()
        return name == domain || name.hasSuffix("." + domain)
    }
}
