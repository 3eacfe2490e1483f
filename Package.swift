// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "adjoin",
    products: [
        .executable(name: "adjoin", targets: ["adjoin"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // C libraries, linked through module maps (their pkg-config files add -isystem, which SwiftPM warns about).
        .systemLibrary(name: "CKerberos", path: "Sources/CKerberos"),
        .systemLibrary(name: "CLDAP", path: "Sources/CLDAP"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl"),
        // One C shim per library, each imported by its one wrapper module only: what Swift cannot import from the
        // library (variadic functions, macros, C globals, C callbacks, res_state) as real, prefixed functions.
        // Plain glibc (prctl, memfd_create, the run-time loader the LDAP and curl shims share, the GLIBC_2.34 floor).
        .target(name: "CPOSIXShim"),
        .target(
            name: "CKerberosShim", dependencies: ["CKerberos"], linkerSettings: [.linkedLibrary("krb5"), .linkedLibrary("gssapi_krb5")]),
        // gssapi_krb5 names the bind's credential cache (gss_krb5_ccache_name), so LDAP needs no CKerberos.
        .target(name: "CLDAPShim", dependencies: ["CLDAP", "CPOSIXShim"], linkerSettings: [.linkedLibrary("gssapi_krb5")]),
        .target(name: "CCurlShim", dependencies: ["CCurl", "CPOSIXShim"]),
        .target(name: "CResolverShim", linkerSettings: [.linkedLibrary("resolv")]),
        .target(name: "AdjoinCore", dependencies: ["CPOSIXShim"]),
        .target(name: "Kerberos", dependencies: ["AdjoinCore", "CKerberos", "CKerberosShim"]),
        .target(name: "LDAP", dependencies: ["AdjoinCore", "CLDAP", "CLDAPShim"]),
        .target(name: "Membership", dependencies: ["AdjoinCore", "DNS", "Discovery", "Kerberos", "LDAP", "HostConfig"]),
        .target(name: "HostConfig", dependencies: ["AdjoinCore"]),
        // The DNS wire format: names, messages, RFC 2136 UPDATE, RFC 2930 TKEY, RFC 2845/3645 TSIG; no I/O but one TCP stream.
        .target(name: "DNS", dependencies: ["AdjoinCore"]),
        .target(name: "Discovery", dependencies: ["AdjoinCore", "DNS", "CResolverShim"]),
        .target(name: "AWS", dependencies: ["AdjoinCore", "CCurl", "CCurlShim"]),
        .target(name: "Agent", dependencies: ["AdjoinCore", "AWS", "Discovery", "HostConfig", "Membership"]),
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
        .target(
            name: "TestSupport", dependencies: ["AdjoinCore", "AWS", "Discovery", "Membership", "Kerberos", "LDAP"],
            path: "Tests/TestSupport"),
        .testTarget(name: "AdjoinCoreTests", dependencies: ["AdjoinCore", "TestSupport"]),
        .testTarget(name: "DiscoveryTests", dependencies: ["Discovery", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "DNSTests", dependencies: ["DNS", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "KerberosTests", dependencies: ["Kerberos", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "LDAPTests", dependencies: ["LDAP", "AdjoinCore"]),
        .testTarget(
            name: "MembershipTests",
            dependencies: ["Membership", "HostConfig", "Discovery", "Kerberos", "LDAP", "AdjoinCore", "TestSupport"]),
        .testTarget(
            name: "AgentTests", dependencies: ["Agent", "AdjoinCore", "AWS", "Discovery", "Kerberos", "LDAP", "Membership", "TestSupport"]),
        .testTarget(name: "HostConfigTests", dependencies: ["HostConfig", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "AWSTests", dependencies: ["AWS", "AdjoinCore", "TestSupport"]),
        .testTarget(name: "AWSIntegrationTests", dependencies: ["AWS", "AdjoinCore", "TestSupport"]),
        .testTarget(
            name: "CommandLineTests", dependencies: ["adjoin", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Discovery", "HostConfig", "Kerberos", "LDAP", "Membership", "AdjoinCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
