import DKIMCore

// External report destinations: RFC 9989 §4.7 (rua/ruf) points to the aggregate-reporting document, §3
// "Verifying External Destinations" (read from draft-ietf-dmarc-aggregate-reporting-15, the successor of
// RFC 7489 §7.1). DMARCbis-41 Appendix B.2.3 shows the record: "example.com._report._dmarc.thirdparty.example.net".

/// Whether one reporting URI may receive a domain's reports.
public struct DMARCDestinationCheck: Sendable, Hashable {
    /// The verdict for one destination.
    public enum Status: Sendable, Hashable {
        /// The destination host has the same Organizational Domain as the policy domain: no check is needed.
        case sameOrganization
        /// The destination publishes a `v=DMARC1` record at the authorization name.
        case authorized
        /// No record starting with `v=DMARC1` at the authorization name: receivers ignore this URI.
        case unauthorized
        /// A DNS failure prevented the check (of the authorization name or of the destination's tree walk).
        case temporaryFailure(String)
        /// The URI has no host to check (e.g. a URI without an authority).
        case noHost
    }

    /// `rua` or `ruf`.
    public let tag: String
    /// The URI checked.
    public let uri: DMARCReportURI
    /// The destination host's Organizational Domain, when it was determined.
    public let destinationOrganizationalDomain: String?
    /// `<policy-domain>._report._dmarc.<destination-host>`, when the check needed a query.
    public let authorizationName: String?
    /// The verdict.
    public let status: Status
}

/// Checks the `rua=`/`ruf=` destinations of a record against the external-destination rule.
public enum DMARCExternalDestinations {
    /// The TXT name a destination publishes to accept reports for `policyDomain` (aggregate-reporting §3 steps
    /// 1–3): `<policy-domain>._report._dmarc.<destination-host>`.
    public static func authorizationName(policyDomain: String, destinationHost: String) -> String {
        "\(policyDomain)._report._dmarc.\(destinationHost)"
    }

    /// Checks every URI of `record`'s `rua=` and `ruf=`.
    ///
    /// A destination whose host has a different Organizational Domain (found by its own tree walk, §4.10.2) from
    /// the policy domain's must publish a TXT record starting with `v=DMARC1` at
    /// ``authorizationName(policyDomain:destinationHost:)`` (aggregate-reporting §3 steps 4–7); otherwise
    /// receivers ignore the URI.
    ///
    /// - Parameters:
    ///   - record: the applicable record.
    ///   - policyDomain: the domain the record was found at.
    ///   - policyOrganizationalDomain: the policy domain's Organizational Domain.
    ///   - resolver: answers the TXT queries.
    public static func check(
        record: DMARCRecord,
        policyDomain: String,
        policyOrganizationalDomain: String,
        resolver: some DKIMKeyResolver
    ) async -> [DMARCDestinationCheck] {
        var checks: [DMARCDestinationCheck] = []
        var organizations: [String: DMARCTreeWalk] = [:]
        let all = record.aggregateReportURIs.map { ("rua", $0) } + record.failureReportURIs.map { ("ruf", $0) }
        for (tag, uri) in all {
            guard let host = uri.host, DMARCDomainName.normalize(host.utf8) != nil else {
                checks.append(DMARCDestinationCheck(tag: tag, uri: uri, destinationOrganizationalDomain: nil,
                                                    authorizationName: nil, status: .noHost))
                continue
            }
            let walk: DMARCTreeWalk
            if let known = organizations[host] {
                walk = known
            } else {
                walk = await DMARCTreeWalk.run(from: host, resolver: resolver)
                organizations[host] = walk
            }
            if let failure = walk.failure {
                checks.append(DMARCDestinationCheck(
                    tag: tag, uri: uri, destinationOrganizationalDomain: nil, authorizationName: nil,
                    status: .temporaryFailure("the tree walk for \(host) failed at \(failure.queryName)")))
                continue
            }
            let organization = walk.organizationalDomain
            if organization == policyOrganizationalDomain {
                checks.append(DMARCDestinationCheck(tag: tag, uri: uri, destinationOrganizationalDomain: organization,
                                                    authorizationName: nil, status: .sameOrganization))
                continue
            }
            let name = authorizationName(policyDomain: policyDomain, destinationHost: host)
            let status: DMARCDestinationCheck.Status
            switch await resolver.lookupTXT(name) {
            case .records(let records):
                // Step 5: each record must start with v=DMARC1; step 7: one such record authorizes.
                status = records.contains { DMARCRecord.isDMARCRecord($0.joined) } ? .authorized : .unauthorized
            case .notFound:
                status = .unauthorized
            case .temporaryFailure(let message):
                status = .temporaryFailure(message)
            case .permanentFailure:
                // No positive determination can be made (step 6).
                status = .unauthorized
            }
            checks.append(DMARCDestinationCheck(tag: tag, uri: uri, destinationOrganizationalDomain: organization,
                                                authorizationName: name, status: status))
        }
        return checks
    }
}
