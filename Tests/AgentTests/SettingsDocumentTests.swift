import AdjoinCore
import Agent
import Testing

@Suite struct SettingsDocumentTests {
    private let source = "settings parameter 'adjoin'"

    private func parse(_ text: String) throws(AdjoinError) -> AgentSettings {
        try SettingsDocument.parse(SecretBytes(Array(text.utf8)), source: source)
    }

    private func message(_ text: String) -> String? {
        do throws(AdjoinError) {
            _ = try parse(text)
            return nil
        } catch {
            #expect(error.status == .invalidInput)
            return error.message
        }
    }

    /// servicePrincipals: a list of service classes, each checked as --service-name is.
    @Test func servicePrincipals() throws {
        #expect(try parse(#"{"domain": "corp.example.com"}"#).servicePrincipals.isEmpty)
        let given = try parse(#"{"domain": "corp.example.com", "servicePrincipals": ["HTTP", "nfs", "http"]}"#)
        #expect(given.servicePrincipals.map(\.value) == ["HTTP", "nfs"])
        #expect(message(#"{"domain": "corp.example.com", "servicePrincipals": ["HTTP/web1"]}"#)?.contains("\"servicePrincipals\"") == true)
        #expect(message(#"{"domain": "corp.example.com", "servicePrincipals": ["host"]}"#)?.contains("always registered") == true)
        #expect(message(#"{"domain": "corp.example.com", "servicePrincipals": "HTTP"}"#)?.contains("must be a list of strings") == true)
        #expect(message(#"{"domain": "corp.example.com", "servicePrincipals": [""]}"#) != nil)
    }

    /// The sudo group and the tag that overrides it, as the login group and its tag.
    @Test func sudoGroupAndItsTag() throws {
        let defaults = try parse(#"{"domain": "corp.example.com"}"#)
        #expect(defaults.login.sudoGroup == nil && defaults.sudoGroupTag == "adSudoGroupName")
        let given = try parse(#"{"domain": "corp.example.com", "sudoGroup": "Linux Admins", "sudoGroupTag": "SudoGroup"}"#)
        #expect(given.login.sudoGroup?.value == "Linux Admins" && given.sudoGroupTag == "SudoGroup")
        #expect(message(#"{"domain": "corp.example.com", "sudoGroup": "a,b"}"#)?.contains("\"sudoGroup\"") == true)
        #expect(message(#"{"domain": "corp.example.com", "sudoGroupTag": "aws:x"}"#)?.contains("must be an EC2 tag key") == true)
    }

    @Test func sshPublicKeyAttributeIsAnAttributeName() throws {
        #expect(try parse(#"{"domain": "corp.example.com"}"#).login.sshPublicKeyAttribute == nil)
        #expect(
            try parse(#"{"domain": "corp.example.com", "sshPublicKeyAttribute": "altSecurityIdentities"}"#).login.sshPublicKeyAttribute
                == "altSecurityIdentities")
        let refused = message(#"{"domain": "corp.example.com", "sshPublicKeyAttribute": "ssh key; x"}"#)
        #expect(
            refused?.contains("sshPublicKeyAttribute") == true && refused?.contains("an LDAP attribute name") == true,
            "\(refused ?? "accepted")")
    }

    @Test func posixIDsIsABooleanThatDefaultsToUnset() throws {
        let unset = try parse(#"{"domain": "corp.example.com"}"#)
        #expect(!unset.login.posixIDs && !unset.given.contains(.posixIDs))
        let given = try parse(#"{"domain": "corp.example.com", "posixIDs": true}"#)
        #expect(given.login.posixIDs && given.given.contains(.posixIDs))
        #expect(
            message(#"{"domain": "corp.example.com", "posixIDs": "yes"}"#) == "\(source): \"posixIDs\" must be true or false, not a string")
    }

    @Test func updateSambaIsABooleanThatDefaultsToUnset() throws {
        let unset = try parse(#"{"domain": "corp.example.com"}"#)
        #expect(!unset.updateSamba && !unset.given.contains(.updateSamba))
        #expect(try parse(#"{"domain": "corp.example.com", "updateSamba": true}"#).updateSamba == true)
        #expect(message(#"{"domain": "corp.example.com", "updateSamba": 1}"#)?.contains("\"updateSamba\" must be true or false") == true)
    }

    @Test func configureSSHIsABooleanThatDefaultsToUnset() throws {
        let unset = try parse(#"{"domain": "corp.example.com"}"#)
        #expect(unset.login.configureSSH && !unset.given.contains(.configureSSH))
        #expect(try parse(#"{"domain": "corp.example.com", "configureSSH": false}"#).login.configureSSH == false)
        #expect(try parse(#"{"domain": "corp.example.com", "configureSSH": true}"#).given.contains(.configureSSH))
        #expect(
            message(#"{"domain": "corp.example.com", "configureSSH": "no"}"#)
                == "\(source): \"configureSSH\" must be true or false, not a string")
        #expect(message(#"{"domain": "corp.example.com", "configureSsh": false}"#)?.contains("did you mean \"configureSSH\"") == true)
    }

    @Test func readsEveryModernKey() throws {
        let settings = try parse(
            """
            {"domain": "Corp.Example.com", "domainControllers": ["10.0.0.10", "dc2.corp.example.com:389", "10.0.0.10"],
             "joinUser": "adjoiner", "joinPassword": "s3cret!", "organizationalUnit": "OU=Linux,DC=corp,DC=example,DC=com",
             "allowedGroups": ["linux-admins", "Domain Admins", "linux-admins"], "statusTable": "adjoin-status",
             "statusRegion": "eu-west-1", "statusRoleArn": "arn:aws:iam::123456789012:role/adjoin-status",
             "computerNameFrom": "instance-id", "groupTag": "LoginGroup", "autoJoinTag": "join"}
            """)
        #expect(settings.domain?.value == "corp.example.com")
        #expect(settings.domainControllers == [HostPort(host: "10.0.0.10", port: nil), HostPort(host: "dc2.corp.example.com", port: 389)])
        #expect(settings.joinUser == "adjoiner")
        guard case .secret(let password) = settings.password else { Issue.record("no inline password"); return }
        #expect(password.withUnsafeBytes { Array($0) } == Array("s3cret!".utf8))
        #expect(settings.organizationalUnit == "OU=Linux,DC=corp,DC=example,DC=com")
        #expect(settings.login.allowedGroups.map(\.value) == ["linux-admins", "Domain Admins"])
        #expect(settings.statusTable == "adjoin-status")
        #expect(settings.statusRegion == "eu-west-1")
        #expect(settings.statusRoleArn == "arn:aws:iam::123456789012:role/adjoin-status")
        #expect(settings.computerNameFrom == .instanceID)
        #expect(settings.groupTag == "LoginGroup" && settings.autoJoinTag == "join")
    }

    @Test func readsTheLegacyKeys() throws {
        let settings = try parse(
            """
            {"dnsName": "corp.example.com", "dnsIP1": "10.0.0.10", "dnsIP2": "10.0.1.10",
             "adJoinUserName": "CORP\\\\adjoiner", "adJoinUserPwParam": "/adjoin/password"}
            """)
        #expect(settings.domain?.value == "corp.example.com")
        #expect(settings.domainControllers.map(\.host) == ["10.0.0.10", "10.0.1.10"])
        #expect(settings.joinUser == "CORP\\adjoiner")
        guard case .parameter(let name) = settings.password else { Issue.record("no password parameter"); return }
        #expect(name == "/adjoin/password")
    }

    @Test func defaultsWhereTheDocumentIsSilent() throws {
        let settings = try parse(#"{"domain": "corp.example.com"}"#)
        #expect(settings.computerNameFrom == .hostname)
        #expect(settings.groupTag == "adGroupName" && settings.autoJoinTag == "autoadjoin")
        #expect(settings.password.map { _ in true } == nil && settings.joinUser == nil && settings.login.allowedGroups.isEmpty)
    }

    @Test func messagesNameTheKeyAndTheProblem() {
        #expect(message("[]") == "\(source) must hold a JSON object, not a list")
        #expect(message("{\"domain\": ") == "\(source) is not valid JSON: unexpected end of input at byte 11")
        #expect(message("{}") == "\(source): \"domain\" (the domain's DNS name, legacy \"dnsName\") is required")
        #expect(message(#"{"domain": 5}"#) == "\(source): \"domain\" must be a string, not a number")
        #expect(message(#"{"dnsName": "bad domain"}"#)?.hasPrefix("\(source): \"dnsName\": ") == true)
        #expect(
            message(#"{"domain": "corp.example.com", "organisationalUnit": "OU=x"}"#)
                == "\(source): unknown key \"organisationalUnit\" (did you mean \"organizationalUnit\"?)")
        #expect(message(#"{"domain": "corp.example.com", "colour": "red"}"#) == "\(source): unknown key \"colour\"")
        #expect(
            message(#"{"domain": "corp.example.com", "dnsName": "corp.example.com"}"#)
                == "\(source): give \"domain\" or \"dnsName\", not both: they mean the same")
        #expect(message(#"{"domain": "corp.example.com", "domain": "other.example.com"}"#) == "\(source): \"domain\" is given twice")
        #expect(
            message(#"{"domain": "corp.example.com", "domainControllers": ["10.0.0.1"], "dnsIP1": "10.0.0.2"}"#)
                == "\(source): give \"domainControllers\" or \"dnsIP1\", not both: they mean the same")
        #expect(
            message(#"{"domain": "corp.example.com", "domainControllers": "10.0.0.1"}"#)
                == "\(source): \"domainControllers\" must be a list of strings, not a string")
        #expect(message(#"{"domain": "corp.example.com", "dnsIP2": "10.0.0.1:99999"}"#)?.hasPrefix("\(source): \"dnsIP2\": ") == true)
        #expect(
            message(#"{"domain": "corp.example.com", "allowedGroups": ["ok", "a,b"]}"#)?.hasPrefix(
                "\(source): \"allowedGroups\": group name") == true)
        #expect(
            message(#"{"domain": "corp.example.com", "computerNameFrom": "ip"}"#)
                == "\(source): \"computerNameFrom\" must be \"hostname\" or \"instance-id\", not \"ip\"")
        #expect(
            message(#"{"domain": "corp.example.com", "statusRegion": "Europe"}"#)
                == "\(source): \"statusRegion\" must be an AWS region such as eu-west-1, not \"Europe\"")
        #expect(
            message(#"{"domain": "corp.example.com", "statusRoleArn": "arn:aws:iam::12:role/x"}"#)?.contains("must be an IAM role ARN")
                == true)
        #expect(message(#"{"domain": "corp.example.com", "statusTable": "ab"}"#)?.contains("must be a DynamoDB table name") == true)
        #expect(message(#"{"domain": "corp.example.com", "joinUser": "a\nb"}"#) == "\(source): \"joinUser\" contains a control character")
        #expect(message(#"{"domain": "corp.example.com", "joinUser": ""}"#) == "\(source): \"joinUser\" is empty")
        #expect(message(#"{"domain": "corp.example.com", "groupTag": "aws:autoscaling"}"#)?.contains("must be an EC2 tag key") == true)
    }

    @Test func thePasswordNeverAppearsInAMessage() {
        let secret = "Pa55-never-shown"
        for document in [
            #"{"domain": "corp.example.com", "joinPassword": "\#(secret)", "joinPasswordParameter": "/x"}"#,
            #"{"domain": "corp.example.com", "joinPassword": "\#(secret)", "colour": 1}"#,
            #"{"domain": "corp.example.com", "joinPassword": "\#(secret)""#,
            #"{"domain": "corp.example.com", "joinPassword": "\#(secret)\u0000"}"#,
        ] {
            let text = message(document)
            #expect(text != nil)
            #expect(text?.contains(secret) == false)
        }
        #expect(message(#"{"domain": "corp.example.com", "joinPassword": ""}"#) == "\(source): \"joinPassword\" is empty")
        #expect(
            message(#"{"domain": "corp.example.com", "joinPassword": 42}"#) == "\(source): \"joinPassword\" must be a string, not a number")
    }

    @Test func refusesADocumentLargerThanAParameterCanHold() {
        let padding = String(repeating: " ", count: 8200)
        #expect(message("{\"domain\": \"corp.example.com\"}" + padding)?.contains("more than the 8192") == true)
    }

    @Test func awsNameShapes() {
        #expect(
            AWSNames.isRegion("us-gov-west-1") && AWSNames.isRegion("eu-west-1") && !AWSNames.isRegion("eu-west")
                && !AWSNames.isRegion("EU-west-1"))
        #expect(
            AWSNames.isParameterName("adjoin") && AWSNames.isParameterName("/a/b_c.d-e")
                && AWSNames.isParameterName("arn:aws:ssm:eu-west-1:123456789012:parameter/adjoin") && !AWSNames.isParameterName("a b"))
        #expect(
            AWSNames.isRoleARN("arn:aws-us-gov:iam::123456789012:role/path/name") && !AWSNames.isRoleARN("arn:aws:iam::123456789012:user/x")
        )
    }

    @Test func registerDNSAndDNSAddress() throws {
        let settings = try parse(#"{"domain": "corp.example.com", "registerDNS": false, "dnsAddress": "10.0.0.12"}"#)
        #expect(settings.registerDNS == false)
        #expect(settings.dnsAddress == SocketAddress(numericHost: "10.0.0.12", port: 0))
        let unset = try parse(#"{"domain": "corp.example.com"}"#)
        #expect(unset.registerDNS && !unset.given.contains(.registerDNS), "not said: the agent's default (register)")
        #expect(message(#"{"domain": "corp.example.com", "registerDNS": "no"}"#)?.contains("\"registerDNS\" must be true or false") == true)
        #expect(
            message(#"{"domain": "corp.example.com", "dnsAddress": "web1.corp.example.com"}"#)?.contains("is not an IP address") == true)
        // Flags win over the settings.
        var flags = AgentSettings()
        flags.registerDNS = true
        flags.given.insert(.registerDNS)
        #expect(settings.overlaid(by: flags).registerDNS == true)
        #expect(settings.overlaid(by: flags).dnsAddress == settings.dnsAddress)
    }
}
