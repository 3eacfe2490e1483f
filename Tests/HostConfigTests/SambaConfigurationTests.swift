import AdjoinCore
import Foundation
import Testing
@testable import HostConfig
import TestSupport

/// smb.conf as Samba reads it: [global] only, names without case, spaces or underscores, comments and
/// continued lines, and includes followed inside the root.
@Suite struct SambaConfigurationTests {
    @Test func anADSMemberOfTheRealmIsOne() {
        let configuration = SambaConfiguration.parse(
            """
            # a file server
            [global]
            \tWorkgroup = corp
            \trealm = corp.example.com
            \tSecurity = ADS
            \tprivate_dir = /srv/samba/private
            [homes]
            \tsecurity = user
            """)
        #expect(configuration.isMember(ofRealm: "CORP.EXAMPLE.COM"))
        #expect(configuration.isMember(ofRealm: "corp.example.com"))
        #expect(!configuration.isMember(ofRealm: "OTHER.EXAMPLE.ORG"))
        #expect(configuration.workgroup == "CORP")
        #expect(configuration.privateDirectory == "/srv/samba/private")
    }

    @Test func anotherRoleOrACommentedLineIsNotAMember() {
        #expect(!SambaConfiguration.parse("[global]\nrealm = CORP.EXAMPLE.COM\nsecurity = user\n").isMember(ofRealm: "CORP.EXAMPLE.COM"))
        #expect(
            !SambaConfiguration.parse("[global]\nrealm = CORP.EXAMPLE.COM\n; security = ads\n# security = ads\n")
                .isMember(ofRealm: "CORP.EXAMPLE.COM"))
        // Only [global] counts: a share's lines are not the server's role.
        #expect(
            !SambaConfiguration.parse("[global]\nrealm = CORP.EXAMPLE.COM\n[data]\nsecurity = ads\n").isMember(ofRealm: "CORP.EXAMPLE.COM"))
    }

    @Test func linesBeforeAnySectionAndContinuedLinesAreRead() {
        let configuration = SambaConfiguration.parse("security = \\\n  ads\nrealm = CORP.EXAMPLE.COM\n")
        #expect(configuration.security == "ads")
        #expect(configuration.isMember(ofRealm: "CORP.EXAMPLE.COM"))
    }

    @Test func anIncludedFileCountsWhereTheIncludeStands() throws {
        let scratch = ScratchRoot("adjoin-smbconf")
        defer { scratch.remove() }
        let root = scratch.url
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc/samba"), withIntermediateDirectories: true)
        try Data("[global]\nsecurity = user\ninclude = /etc/samba/domain.conf\n".utf8).write(
            to: root.appendingPathComponent("etc/samba/smb.conf"))
        try Data("realm = CORP.EXAMPLE.COM\nsecurity = ads\ninclude = /etc/samba/smb.conf\n".utf8)
            .write(to: root.appendingPathComponent("etc/samba/domain.conf"))
        let files = HostFiles(root: root.path)
        let configuration = try #require(try SambaConfiguration.read(files: files))
        #expect(configuration.isMember(ofRealm: "CORP.EXAMPLE.COM"))
        // No smb.conf: no Samba.
        #expect(try SambaConfiguration.read(files: HostFiles(root: root.appendingPathComponent("none").path)) == nil)
    }
}
