import Foundation

/// An empty directory for a test's `--root` (the agent refuses a root that does not exist).
func makeScratchRoot(_ name: String = "adjoin-root-\(UUID().uuidString)") throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    return root
}
