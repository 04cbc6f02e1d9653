// swift-tools-version:6.0
// An example consumer of DKIMCore. Copy this folder and replace the path dependency with
// .package(url: "https://github.com/<owner>/swift-dkim", from: "0.1.0").
import PackageDescription

let package = Package(
    name: "DKIMExample",
    dependencies: [
        .package(name: "swift-dkim", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "dkim-sign",
            dependencies: [.product(name: "DKIMCore", package: "swift-dkim")]
        ),
        .executableTarget(
            name: "dkim-verify",
            dependencies: [.product(name: "DKIMCore", package: "swift-dkim")]
        ),
    ]
)
