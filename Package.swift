// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-dkim",
    products: [
        .library(name: "DKIMCore", targets: ["DKIMCore"]),
        .library(name: "MailAuthRecords", targets: ["MailAuthRecords"]),
        .executable(name: "dkimtool", targets: ["dkimtool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation` for the DocC catalog; a plugin only, nothing links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // OpenSSL 3 (libcrypto) through pkg-config; only DKIMCore/Crypto imports it.
        .systemLibrary(
            name: "CDKIMOpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // glibc libresolv (res_ninit / res_nmkquery); only DKIMCore/DNS imports it.
        .systemLibrary(name: "CDKIMResolv"),
        // Vector kernels (C with run-time CPU dispatch) for byte loops that DKIMCore also implements in Swift:
        // the relaxed body, header line search and base64 decoding (imported in Canonicalization, Message, Bytes).
        .target(name: "CDKIMSIMD"),
        .target(
            name: "DKIMCore",
            dependencies: ["CDKIMOpenSSL", "CDKIMResolv", "CDKIMSIMD"]
        ),
        // SPF (RFC 7208) and DMARC (RFC 9989) records next to DKIMCore, sharing its DNS resolver.
        .target(
            name: "MailAuthRecords",
            dependencies: ["DKIMCore"]
        ),
        .executableTarget(
            name: "dkimtool",
            dependencies: [
                "DKIMCore",
                "MailAuthRecords",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A real DNS server (dnsmasq) on 127.0.0.1 for the tests of both test targets; not a product.
        .target(
            name: "DNSTestServer",
            path: "Tests/DNSTestServer"
        ),
        .testTarget(
            name: "DKIMCoreTests",
            dependencies: ["DKIMCore", "DNSTestServer"]
        ),
        .testTarget(
            name: "dkimtoolTests",
            dependencies: ["dkimtool", "DKIMCore", "DNSTestServer"]
        ),
        .testTarget(
            name: "MailAuthRecordsTests",
            dependencies: ["MailAuthRecords", "DKIMCore", "DNSTestServer"]
        ),
    ]
)
