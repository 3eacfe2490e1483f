import AdjoinCore
import Foundation
import Testing
import TestSupport
@testable import AWS

/// The admin commands' credential chain without any server: the shared files as botocore reads them,
/// the order of the sources, and each source's exchange against a scripted transport (which fails the
/// test on any request it was not told to expect).
@Suite struct AdminCredentialChainTests {
    /// A home directory of the test's own with ~/.aws/config and ~/.aws/credentials.
    final class Home {
        let scratch = ScratchRoot("adjoin-home")
        var path: String { scratch.path }
        init(config: String? = nil, credentials: String? = nil) throws {
            try FileManager.default.createDirectory(atPath: path + "/.aws/sso/cache", withIntermediateDirectories: true)
            if let config { try config.write(toFile: path + "/.aws/config", atomically: true, encoding: .utf8) }
            if let credentials { try credentials.write(toFile: path + "/.aws/credentials", atomically: true, encoding: .utf8) }
        }
        func write(_ relative: String, _ text: String, mode: Int = 0o600) throws {
            try text.write(toFile: path + "/" + relative, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path + "/" + relative)
        }
    }

    func environment(_ home: Home?, _ variables: [String: String] = [:], transport: FakeHTTPTransport? = nil) -> AWSEnvironment {
        var all = variables
        if let home { all["HOME"] = home.path }
        var environment = AWSEnvironment(variables: all)
        environment.makeTransport = { () throws(AdjoinError) -> any HTTPTransport in
            guard let transport else { throw AdjoinError(.unknownError, "this test expects no HTTP at all") }
            return transport
        }
        return environment
    }

    func secret(_ credentials: AWSCredentials) -> String {
        credentials.secretAccessKey.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    static let deadline = Deadline(seconds: 30)

    // MARK: - the files

    @Test func sharedFilesAreReadAsBotocoreReadsThem() throws {
        var files = SharedConfigFiles()
        try files.add(
            """
            # a comment
            [default]
            region = eu-west-1 # Ireland
            s3 =
              max_concurrent_requests = 20
            output = json

            [profile ops]
            role_arn = arn:aws:iam::111122223333:role/ops
            source_profile = default
            ; another comment
            [ops-bare]
            region = us-west-2
            [sso-session corp]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-central-1
            """, isConfigFile: true, source: "config")
        try files.add(
            """
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key =   secret/with=signs\t
            [ops]
            region = ap-south-1
            """, isConfigFile: false, source: "credentials")
        #expect(files.profiles["default"] == ["region": "eu-west-1", "output": "json", "aws_access_key_id": "AKIADEFAULT"])
        // The secret is kept apart, as SecretBytes.
        #expect(
            files.secrets["default"]?["aws_secret_access_key"]?.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                == "secret/with=signs")
        #expect(files.profiles["ops"]?["role_arn"] == "arn:aws:iam::111122223333:role/ops")
        // The credentials file's values are laid over the config file's.
        #expect(files.profiles["ops"]?["region"] == "ap-south-1")
        // A bare section in the config file is no profile; the sub-settings of `s3 =` are not the profile's.
        #expect(files.profiles["ops-bare"] == nil)
        #expect(files.profiles["default"]?["max_concurrent_requests"] == nil)
        #expect(files.ssoSessions["corp"]?["sso_region"] == "eu-central-1")
        #expect(throws: AdjoinError.self) { try files.add("[broken\n", isConfigFile: true, source: "x") }
        #expect(throws: AdjoinError.self) { try files.add("[default]\nno equals sign\n", isConfigFile: true, source: "x") }
    }

    @Test func theFilesAreFoundThroughTheVariablesAndHome() throws {
        let home = try Home(config: "[profile a]\nregion = eu-north-1\n")
        try home.write("elsewhere", "[b]\naws_access_key_id = AKIAB\naws_secret_access_key = s\n")
        let files = try SharedConfigFiles.load(environment: environment(home, ["AWS_SHARED_CREDENTIALS_FILE": "~/elsewhere"]))
        #expect(files.profiles["a"]?["region"] == "eu-north-1")
        #expect(files.profiles["b"]?["aws_access_key_id"] == "AKIAB")
        #expect(files.sources == [home.path + "/.aws/config", home.path + "/elsewhere"])
        // A relative path is the working directory's, as the SDKs open it.
        #expect(SharedConfigFiles.expandHome("conf/aws", home: home.path) == FileManager.default.currentDirectoryPath + "/conf/aws")
        #expect(SharedConfigFiles.expandHome("/etc/aws", home: home.path) == "/etc/aws")
        // No HOME and no variables: no files, and no error.
        #expect(try SharedConfigFiles.load(environment: environment(nil)).profiles.isEmpty)
    }

    // MARK: - the order

    static let staticProfile = "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profile-secret\n"

    @Test func theEnvironmentsKeysComeFirst() throws {
        let home = try Home(credentials: Self.staticProfile)
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home,
                    [
                        "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
                    ])))
        #expect(try found.provider.credentials(deadline: Self.deadline).accessKeyId == "AKIAENV")
        #expect(found.source.contains("AWS_ACCESS_KEY_ID"))
    }

    @Test func theProfileComesBeforeTheContainer() throws {
        let home = try Home(config: "[default]\nregion = eu-west-3\n", credentials: Self.staticProfile)
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home,
                    [
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"
                    ])))
        let credentials = try found.provider.credentials(deadline: Self.deadline)
        #expect(credentials.accessKeyId == "AKIAPROFILE" && secret(credentials) == "profile-secret")
        #expect(found.source.hasPrefix("profile default (static keys)"))
        #expect(found.region == "eu-west-3")
    }

    @Test func theContainerComesWhenNoProfileHasCredentials() throws {
        let home = try Home(config: "[default]\nregion = eu-west-3\n")
        let transport = FakeHTTPTransport([.answer("GET", "/creds", status: 200, body: Self.containerReply)])
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home,
                    [
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds"
                    ], transport: transport)))
        #expect(try found.provider.credentials(deadline: Self.deadline).accessKeyId == "ASIACONTAINER")
        transport.script.finish()
        #expect(found.source.contains("container credentials endpoint http://127.0.0.1:9/creds"))
    }

    @Test func nothingConfiguredLeavesInstanceMetadata() throws {
        let home = try Home(config: "[default]\nregion = eu-west-3\n")
        #expect(try AdminCredentialChain.beforeInstanceMetadata(environment: environment(home)) == nil)
        #expect(try AdminCredentialChain.beforeInstanceMetadata(environment: environment(nil)) == nil)
    }

    @Test func aNamedProfileThatIsNowhereIsAnError() throws {
        let home = try Home(credentials: Self.staticProfile)
        #expect { try AdminCredentialChain.beforeInstanceMetadata(environment: environment(home, ["AWS_PROFILE": "typo"])) } throws: {
            ($0 as? AdjoinError)?.status == .invalidInput && ($0 as? AdjoinError)?.message.contains("typo") == true
        }
    }

    @Test func theRegionIsTheEnvironmentsThenTheProfiles() throws {
        let home = try Home(config: "[profile p]\nregion = ca-central-1\naws_access_key_id = AKIAP\naws_secret_access_key = s\n")
        func region(_ variables: [String: String]) throws -> String? {
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(home, variables.merging(["AWS_PROFILE": "p"]) { a, _ in a }))?.region
        }
        #expect(try region(["AWS_REGION": "eu-south-1", "AWS_DEFAULT_REGION": "eu-south-2"]) == "eu-south-1")
        #expect(try region(["AWS_DEFAULT_REGION": "eu-south-2"]) == "eu-south-2")
        #expect(try region([:]) == "ca-central-1")
    }

    // MARK: - role_arn

    static func assumeRoleReply(_ keyId: String) -> String {
        """
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
        <AccessKeyId>\(keyId)</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken>
        <Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>
        """
    }

    @Test func aRoleIsAssumedWithTheSourceProfilesKeys() throws {
        let home = try Home(
            config: """
                [profile admin]
                role_arn = arn:aws:iam::111122223333:role/adjoin-admin
                source_profile = base
                external_id = ext-1
                region = eu-west-1
                """, credentials: "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n")
        let transport = FakeHTTPTransport([.answer("POST", "/", status: 200, body: Self.assumeRoleReply("ASIAASSUMED"))])
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home, ["AWS_PROFILE": "admin"],
                    transport: transport)))
        let credentials = try found.provider.credentials(deadline: Self.deadline)
        #expect(credentials.accessKeyId == "ASIAASSUMED" && secret(credentials) == "assumed-secret")
        // Asked once: the credentials are kept until they near their expiration.
        _ = try found.provider.credentials(deadline: Self.deadline)
        transport.script.finish()
        #expect(transport.header("Authorization").first??.contains("Credential=AKIABASE/") == true)
        #expect(transport.origins == ["https://sts.eu-west-1.amazonaws.com"])
        #expect(found.source.contains("role_arn arn:aws:iam::111122223333:role/adjoin-admin"))
    }

    /// A role whose source is an SSO profile (a common way to reach another account), and one whose
    /// source is the instance role (credential_source), each assumed with its source's keys.
    @Test func aRolesSourceMayBeAnSSOProfileOrTheInstanceRole() throws {
        let home = try Home(
            config: Self.ssoConfig + """

                [profile other]
                role_arn = arn:aws:iam::999988887777:role/adjoin-sweep
                source_profile = dev
                [profile onec2]
                role_arn = arn:aws:iam::999988887777:role/adjoin-sweep
                credential_source = Ec2InstanceMetadata
                """)
        try home.write(".aws/sso/cache/" + SHA1.hash(Array("corp".utf8)).hexString + ".json", Self.token("2099-01-01T00:00:00Z"))
        let viaSSO = FakeHTTPTransport([
            .answer(
                "GET", "/federation/credentials", status: 200,
                body:
                    #"{"roleCredentials": {"accessKeyId": "ASIASSO", "secretAccessKey": "s", "sessionToken": "t", "expiration": 4070908800000}}"#
            ),
            .answer("POST", "/", status: 200, body: Self.assumeRoleReply("ASIAOTHER")),
        ])
        let other = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(environment: environment(home, ["AWS_PROFILE": "other"], transport: viaSSO)))
        #expect(try other.provider.credentials(deadline: Self.deadline).accessKeyId == "ASIAOTHER")
        viaSSO.script.finish()
        #expect(viaSSO.header("Authorization").last??.contains("Credential=ASIASSO/") == true)

        let viaMetadata = FakeHTTPTransport([
            .answer("PUT", "/latest/api/token", status: 200, body: "imds-token"),
            .answer("GET", "/latest/meta-data/iam/security-credentials/", status: 200, body: "instance-role"),
            .answer(
                "GET", "/latest/meta-data/iam/security-credentials/instance-role", status: 200,
                body:
                    #"{"Code": "Success", "AccessKeyId": "ASIAINSTANCE", "SecretAccessKey": "s", "Token": "t", "Expiration": "2099-01-01T00:00:00Z"}"#
            ),
            .answer("POST", "/", status: 200, body: Self.assumeRoleReply("ASIAFROMEC2")),
        ])
        let onEC2 = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home,
                    [
                        "AWS_PROFILE": "onec2", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://192.0.2.1",
                    ], transport: viaMetadata)))
        #expect(try onEC2.provider.credentials(deadline: Self.deadline).accessKeyId == "ASIAFROMEC2")
        viaMetadata.script.finish()
        #expect(viaMetadata.header("Authorization").last??.contains("Credential=ASIAINSTANCE/") == true)
    }

    @Test func aLoopOfSourceProfilesIsRefused() throws {
        let home = try Home(
            config: """
                [profile a]
                role_arn = arn:aws:iam::111122223333:role/a
                source_profile = b
                [profile b]
                role_arn = arn:aws:iam::111122223333:role/b
                source_profile = a
                """)
        #expect { try AdminCredentialChain.beforeInstanceMetadata(environment: environment(home, ["AWS_PROFILE": "a"])) } throws: {
            ($0 as? AdjoinError)?.message.contains("loop") == true
        }
    }

    // MARK: - SSO

    static let ssoConfig = """
        [profile dev]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = AdjoinAdmin
        region = us-west-2
        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = eu-central-1
        """

    static func token(_ expiresAt: String) -> String {
        #"{"startUrl": "https://corp.awsapps.com/start", "region": "eu-central-1", "accessToken": "bearer-from-cache", "expiresAt": "\#(expiresAt)"}"#
    }

    @Test func anSSOProfileTradesTheCachedTokenAtThePortal() throws {
        let home = try Home(config: Self.ssoConfig)
        // The AWS CLI's cache name: the SHA-1 of the session name.
        try home.write(".aws/sso/cache/" + SHA1.hash(Array("corp".utf8)).hexString + ".json", Self.token("2099-01-01T00:00:00Z"))
        let transport = FakeHTTPTransport([
            .answer(
                "GET", "/federation/credentials", status: 200,
                body: """
                    {"roleCredentials": {"accessKeyId": "ASIASSO", "secretAccessKey": "sso-secret", "sessionToken": "sso-token", "expiration": 4070908800000}}
                    """)
        ])
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home, ["AWS_PROFILE": "dev"],
                    transport: transport)))
        let credentials = try found.provider.credentials(deadline: Self.deadline)
        transport.script.finish()
        #expect(credentials.accessKeyId == "ASIASSO" && secret(credentials) == "sso-secret")
        #expect(credentials.expiration == 4_070_908_800)
        #expect(transport.header("x-amz-sso_bearer_token") == ["bearer-from-cache"])
        #expect(transport.queries == ["account_id=111122223333&role_name=AdjoinAdmin"])
        #expect(transport.origins == ["https://portal.sso.eu-central-1.amazonaws.com"])
        #expect(found.region == "us-west-2")
    }

    @Test func anExpiredOrMissingTokenAsksForALoginAndCallsNothing() throws {
        let home = try Home(config: Self.ssoConfig)
        let transport = FakeHTTPTransport([])
        let env = environment(home, ["AWS_PROFILE": "dev"], transport: transport)
        func failure() throws -> AdjoinError? {
            let found = try #require(try AdminCredentialChain.beforeInstanceMetadata(environment: env))
            do { _ = try found.provider.credentials(deadline: Self.deadline) } catch { return error }
            return nil
        }
        let missing = try failure()
        #expect(
            missing?.status == .accessDenied && missing?.message.contains("aws sso login --profile dev") == true,
            "\(String(describing: missing))")
        try home.write(".aws/sso/cache/" + SHA1.hash(Array("corp".utf8)).hexString + ".json", Self.token("2020-01-01T00:00:00Z"))
        let expired = try failure()
        #expect(expired?.status == .accessDenied && expired?.message.contains("expired") == true, "\(String(describing: expired))")
        #expect(expired?.message.contains("bearer-from-cache") == false)
        transport.script.finish()
    }

    @Test func aLegacySSOProfileIsCachedUnderItsStartURL() throws {
        let home = try Home(
            config: """
                [default]
                sso_start_url = https://legacy.awsapps.com/start
                sso_region = us-east-1
                sso_account_id = 444455556666
                sso_role_name = Legacy
                """)
        try home.write(
            ".aws/sso/cache/" + SHA1.hash(Array("https://legacy.awsapps.com/start".utf8)).hexString + ".json",
            Self.token("2099-01-01T00:00:00UTC"))
        let transport = FakeHTTPTransport([.answer("GET", "/federation/credentials", status: 401, body: "{}")])
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home,
                    [
                        "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:9"
                    ], transport: transport)))
        #expect { try found.provider.credentials(deadline: Self.deadline) } throws: {
            ($0 as? AdjoinError)?.status == .accessDenied
                && ($0 as? AdjoinError)?.message.contains("aws sso login --profile default") == true
        }
        transport.script.finish()
        #expect(transport.origins == ["http://127.0.0.1:9"])
    }

    // MARK: - the container endpoint

    static let containerReply =
        #"{"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "container-secret", "Token": "t", "Expiration": "2099-01-01T00:00:00Z"}"#

    @Test func theContainerEndpointGetsTheTokenFilesToken() throws {
        let home = try Home()
        try home.write("token", "token-from-file\n")
        let transport = FakeHTTPTransport([.answer("GET", "/v2/credentials/abc", status: 200, body: Self.containerReply)])
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    home,
                    [
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/v2/credentials/abc",
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": home.path + "/token", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "not-this-one",
                    ], transport: transport)))
        let credentials = try found.provider.credentials(deadline: Self.deadline)
        transport.script.finish()
        #expect(credentials.accessKeyId == "ASIACONTAINER" && secret(credentials) == "container-secret")
        #expect(transport.header("Authorization") == ["token-from-file"])
    }

    /// Temporary credentials are fetched again when less than five minutes remain, and kept otherwise.
    @Test func credentialsNearTheirExpirationAreFetchedAgain() throws {
        let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(120))
        let reply = #"{"AccessKeyId": "ASIASOON", "SecretAccessKey": "s", "Token": "t", "Expiration": "\#(soon)"}"#
        let transport = FakeHTTPTransport([
            .answer("GET", "/soon", status: 200, body: reply), .answer("GET", "/soon", status: 200, body: reply),
            .answer("GET", "/soon", status: 200, body: Self.containerReply),
        ])
        let provider = try ContainerCredentials.provider(
            environment: environment(
                nil, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/soon"],
                transport: transport))
        #expect(try provider.credentials(deadline: Self.deadline).accessKeyId == "ASIASOON")
        #expect(try provider.credentials(deadline: Self.deadline).accessKeyId == "ASIASOON")
        #expect(try provider.credentials(deadline: Self.deadline).accessKeyId == "ASIACONTAINER")
        // These last until 2099: kept, not fetched again.
        #expect(try provider.credentials(deadline: Self.deadline).accessKeyId == "ASIACONTAINER")
        transport.script.finish()
    }

    @Test func aRelativeURIIsOnTheECSHostAndARefusalIsAccessDenied() throws {
        let transport = FakeHTTPTransport([.answer("GET", "/v2/credentials/xyz", status: 401)])
        let found = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(
                environment: environment(
                    nil,
                    [
                        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/xyz"
                    ], transport: transport)))
        #expect { try found.provider.credentials(deadline: Self.deadline) } throws: { ($0 as? AdjoinError)?.status == .accessDenied }
        transport.script.finish()
        #expect(transport.origins == ["http://169.254.170.2"])
        #expect(transport.header("Authorization") == [nil])
    }

    @Test func aFullURIIsTakenOnlyOverHTTPSOrToLoopbackAndLinkLocalHosts() throws {
        for allowed in [
            "https://creds.example.com/x", "http://127.0.0.1:80/x", "http://localhost/x", "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials", "http://[::1]:8080/x",
        ] {
            #expect(throws: Never.self, "\(allowed)") {
                try ContainerCredentials.location(environment(nil, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": allowed]))
            }
        }
        for refused in ["http://creds.example.com/x", "http://10.0.0.1/x", "http://127.evil.example/x"] {
            #expect("\(refused)") {
                try ContainerCredentials.location(environment(nil, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": refused]))
            } throws: {
                ($0 as? AdjoinError)?.status == .invalidInput
            }
        }
    }

    // MARK: - credential_process

    @Test func aCommandIsSplitAsShlexSplitsIt() throws {
        #expect(
            try ProcessCredentials.split(#"aws configure export-credentials --profile "my sso" --format process"#, profile: "p")
                == ["aws", "configure", "export-credentials", "--profile", "my sso", "--format", "process"])
        #expect(
            try ProcessCredentials.split(#"/opt/tool 'a b' c\ d "e\"f" "g\h""#, profile: "p") == [
                "/opt/tool", "a b", "c d", "e\"f", "g\\h",
            ])
        #expect(try ProcessCredentials.split(#"tool '' x"#, profile: "p") == ["tool", "", "x"])
        #expect(throws: AdjoinError.self) { try ProcessCredentials.split(#"tool "open"#, profile: "p") }
        #expect(throws: AdjoinError.self) { try ProcessCredentials.split("   ", profile: "p") }
    }

    @Test func aProcessIsRunWithoutAShellAndItsDocumentRead() throws {
        let home = try Home()
        // The script prints its arguments' count into the key id, so that a shell's word splitting, its
        // expansion of $NAME and its `;` would show (a shell would pass 2 arguments and then run `x`).
        try home.write(
            "creds",
            """
            #!/bin/sh
            printf '{"Version": 1, "AccessKeyId": "ASIAPROC%s", "SecretAccessKey": "proc-secret", "SessionToken": "t", "Expiration": "%s"}' "$#" "$1"
            """, mode: 0o700)
        try home.write(
            ".aws/config",
            """
            [default]
            credential_process = "\(home.path)/creds" 2099-01-01T00:00:00Z two\\ words $NOT_EXPANDED;x
            [profile old]
            credential_process = \(home.path)/creds 2020-01-01T00:00:00Z
            [profile failing]
            credential_process = /bin/false
            """)
        let found = try #require(try AdminCredentialChain.beforeInstanceMetadata(environment: environment(home)))
        let credentials = try found.provider.credentials(deadline: Self.deadline)
        #expect(credentials.accessKeyId == "ASIAPROC3" && secret(credentials) == "proc-secret")
        #expect(credentials.expiration == 4_070_908_800)
        let old = try #require(try AdminCredentialChain.beforeInstanceMetadata(environment: environment(home, ["AWS_PROFILE": "old"])))
        #expect { try old.provider.credentials(deadline: Self.deadline) } throws: {
            ($0 as? AdjoinError)?.message.contains("expired") == true
        }
        let failing = try #require(
            try AdminCredentialChain.beforeInstanceMetadata(environment: environment(home, ["AWS_PROFILE": "failing"])))
        #expect { try failing.provider.credentials(deadline: Self.deadline) } throws: { ($0 as? AdjoinError)?.status == .accessDenied }
    }
}
