// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "adjoin",
    products: [
        .executable(name: "adjoin", targets: ["adjoin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries, linked through module maps (their pkg-config files add -isystem, which SwiftPM warns about).
        .systemLibrary(name: "CKerberos", path: "Sources/CKerberos"),
        .systemLibrary(name: "CLDAP", path: "Sources/CLDAP"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        // What Swift cannot import from those libraries (variadic functions, macros, C globals, res_state).
        .target(
            name: "CAdjoinShim",
            dependencies: ["CKerberos", "CLDAP", "CCurl"],
            linkerSettings: [.linkedLibrary("resolv"), .linkedLibrary("krb5")]
        ),
        .target(name: "AdjoinCore"),
        .target(name: "Kerberos", dependencies: ["AdjoinCore", "CKerberos", "CAdjoinShim"]),
        .target(name: "LDAP", dependencies: ["AdjoinCore", "CLDAP", "CKerberos", "CAdjoinShim"]),
        .target(name: "Join", dependencies: ["AdjoinCore", "Discovery", "Kerberos", "LDAP", "HostConfig"]),
        .target(name: "HostConfig", dependencies: ["AdjoinCore"]),
        .target(name: "Discovery", dependencies: ["AdjoinCore", "CAdjoinShim"]),
        .target(name: "AWS", dependencies: ["AdjoinCore", "CCurl", "CAdjoinShim"]),
        .target(name: "Agent", dependencies: ["AdjoinCore", "AWS", "Discovery", "Join"]),
        .executableTarget(
            name: "adjoin",
            // The command line only: flags into a use case's options, its report printed (the work is Agent's).
            dependencies: [
                "AdjoinCore",
                "Agent",
                "Kerberos",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What several test targets share (a seeded generator, a lock); never linked into the agent.
        // Fakes of the parts with I/O (directory, HTTP transport, resolver, clock) are here too.
        .target(name: "TestSupport", dependencies: ["AdjoinCore", "AWS", "Discovery", "Join", "Kerberos", "LDAP"], path: "Tests/TestSupport"),
        .testTarget(name: "AdjoinCoreTests", dependencies: ["AdjoinCore", "TestSupport"]),
        .testTarget(name: "DiscoveryTests", dependencies: ["Discovery", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "KerberosTests", dependencies: ["Kerberos", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "LDAPTests", dependencies: ["LDAP"]),
        .testTarget(name: "JoinTests", dependencies: ["Join", "Discovery", "Kerberos", "LDAP", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "AdjoinCore", "AWS", "Discovery", "Join", "TestSupport"]),
        .testTarget(name: "HostConfigTests", dependencies: ["HostConfig", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "AWSTests", dependencies: ["AWS", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "AWSIntegrationTests", dependencies: ["AWS", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Discovery", "Kerberos", "LDAP", "Join", "AdjoinCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
