import AdjoinCore
@testable import Agent
import Foundation
import Testing

/// The settings model: each setting declared once, the command line read as a layer like the parameter,
/// and a layer laid over another replacing only what it gives.
@Suite struct SettingsModelTests {
    @Test func everySettingIsDeclaredOnceUnderNamesOfItsOwn() {
        let keys = SettingsModel.all.map(\.key)
        #expect(keys.count == SettingKey.allCases.count && Set(keys) == Set(SettingKey.allCases))
        let names = SettingsModel.all.filter(\.inDocument).flatMap { [$0.key.rawValue] + $0.legacy }
        #expect(names.count == Set(names).count, "a name that means two settings")
        #expect(
            SettingsModel.key(named: "dnsIP2") == .domainControllers
                && SettingsModel.key(named: "adJoinUserPwParam") == .joinPasswordParameter)
    }

    @Test func aFlagOnlySettingIsUnknownToADocument() {
        #expect(SettingsModel.key(named: "configureDNS") == nil)
        #expect(throws: AdjoinError.self) {
            try SettingsDocument.parse(
                SecretBytes(Array(#"{"domain": "corp.example.com", "configureDNS": true}"#.utf8)), source: "settings parameter 'adjoin'")
        }
    }

    @Test func theCommandLineIsReadByTheSameModelInTheValuesOwnWords() throws {
        var flags = SettingFlags()
        flags.set(.domain, "Corp.Example.com")
        flags.set(.allowedGroups, ["linux-admins", "Domain Admins", "linux-admins"])
        flags.set(.configureSSH, false)
        flags.set(.posixIDs, Bool?.none)
        let settings = try flags.settings()
        #expect(settings.domain?.value == "corp.example.com")
        #expect(settings.login.allowedGroups.map(\.value) == ["linux-admins", "Domain Admins"])
        #expect(!settings.login.configureSSH && !settings.login.posixIDs)
        #expect(settings.given == [.domain, .allowedGroups, .configureSSH])

        var bad = SettingFlags()
        bad.set(.sudoGroup, "a,b")
        let own: String
        do throws(AdjoinError) { _ = try GroupName("a,b"); own = "" } catch { own = error.message }
        do throws(AdjoinError) {
            _ = try bad.settings()
            Issue.record("a bad group name was taken")
        } catch {
            #expect(error.status == .invalidInput && error.message == own && !own.isEmpty, "\(error.message)")
        }
    }

    @Test func aLayerReplacesOnlyWhatItGives() throws {
        let parameter = try SettingsDocument.parse(
            SecretBytes(
                Array(
                    #"""
                    {"domain": "corp.example.com", "registerDNS": false, "configureSSH": false, "allowedGroups": ["from-parameter"],
                     "sudoGroup": "admins", "updateSamba": true}
                    """#.utf8)), source: "settings parameter 'adjoin'")
        var flags = SettingFlags()
        flags.set(.allowedGroups, ["from-flag"])
        flags.set(.posixIDs, true)
        let merged = parameter.overlaid(by: try flags.settings())
        #expect(merged.login.allowedGroups.map(\.value) == ["from-flag"] && merged.login.posixIDs)
        // What the command line did not give stays the parameter's, though the flags' layer holds defaults for it.
        #expect(!merged.registerDNS && !merged.login.configureSSH && merged.login.sudoGroup?.value == "admins" && merged.updateSamba)
    }

    /// The broker hands on the host's own settings as the parameter gave them, and the instance reads them back.
    @Test func theBrokerHandsOnTheHostSettingsItWasGiven() throws {
        let settings = try SettingsDocument.parse(
            SecretBytes(
                Array(
                    #"""
                    {"domain": "corp.example.com", "registerDNS": false, "posixIDs": true, "statusTable": "adjoin-status", "joinUser": "adjoiner"}
                    """#.utf8)), source: "settings parameter 'adjoin'")
        let handed = SettingsModel.handedOn(settings)
        #expect(handed.map(\.0) == ["statusTable", "registerDNS", "posixIDs"], "not given, not handed on; the join user never")
        var reply: [(String, JSON)] = [
            ("oneTimePassword", .secret(SecretBytes(Array("One-Time-1".utf8)))), ("domain", .string("corp.example.com")),
            ("computerName", .string("IP-10-1-2-3")), ("hostFQDN", .string("ip-10-1-2-3.corp.example.com")),
        ]
        reply += handed
        let answer = try InstanceBroker.answer(.object(reply), url: "https://broker.example")
        #expect(!answer.settings.registerDNS && answer.settings.login.posixIDs && answer.settings.statusTable == "adjoin-status")
        #expect(answer.settings.login.configureSSH, "not handed on: the default")
    }

    /// A setting is done when an operator can find it: each key has its row in docs/configuration.md (with its
    /// older names), and each flag is in the docs.
    @Test func everySettingIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs")
        let configuration = try String(contentsOf: docs.appendingPathComponent("configuration.md"), encoding: .utf8)
        let rows = configuration.split(separator: "\n").filter { $0.hasPrefix("| `") }
        for setting in SettingsModel.all where setting.inDocument {
            let row = rows.first { $0.hasPrefix("| `\(setting.key.rawValue)` |") }
            #expect(row != nil, "docs/configuration.md has no row for \(setting.key.rawValue)")
            for legacy in setting.legacy {
                #expect(row?.contains("`\(legacy)`") == true, "\(setting.key.rawValue)'s row does not name \(legacy)")
            }
        }
        let pages = try FileManager.default.contentsOfDirectory(at: docs, includingPropertiesForKeys: nil).filter {
            $0.pathExtension == "md"
        }
        .map { try String(contentsOf: $0, encoding: .utf8) }.joined()
        for setting in SettingsModel.all {
            guard let flag = setting.flag else { continue }
            #expect(pages.contains(flag), "\(flag) is in no page of docs/")
            #expect(!(setting.flagHelp ?? "").isEmpty)
        }
    }
}
