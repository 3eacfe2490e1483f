import Foundation

/// The environment a test gives the programs it starts: its own, without a KRB5_CONFIG that names a
/// descriptor. A directory session in the test process points KRB5_CONFIG at an in-memory file
/// (`/proc/self/fd/N`, see GSSAPIConfiguration), which in a child names nothing or something else:
/// sssd, kinit or klist started with it would read no krb5.conf, depending on which suite ran first.
public enum ChildEnvironment {
    public static func inherited(adding extra: [String: String] = [:]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !($0.key == "KRB5_CONFIG" && $0.value.hasPrefix("/proc/self/fd/")) }
            .merging(extra) { $1 }
    }
}
