"""The AWS side: the CloudFormation template (cfn-lint, least privilege, the termination rule), the SSM
Command documents (run as the agent runs them: parameters substituted into the script, which sh runs),
and the template's settings-writer custom resource, run against the lab's moto_server."""
import http.server
import importlib.util
import json
import os
import re
import stat
import subprocess
import threading

import pytest
import yaml

from conftest import ROOT, resolve_conditions, run

TEMPLATE = os.path.join(ROOT, "packaging/cloudformation/adjoin.yaml")
DOCUMENTS = {name: os.path.join(ROOT, "packaging/ssm/%s.json" % name) for name in ("adjoin-join", "adjoin-leave", "adjoin-sweep")}
SWEEP_ROLE_TEMPLATE = os.path.join(ROOT, "packaging/cloudformation/adjoin-sweep-role.yaml")


def template():
    with open(TEMPLATE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def document(name):
    with open(DOCUMENTS[name], encoding="utf-8") as f:
        return json.load(f)


def test_template_passes_cfn_lint_without_warnings():
    result = subprocess.run(["cfn-lint", "--format", "parseable", TEMPLATE, SWEEP_ROLE_TEMPLATE], capture_output=True, text=True)
    assert result.returncode == 0, "cfn-lint:\n" + result.stdout + result.stderr


def test_template_creates_the_ssm_documents_exactly_as_the_files_say():
    resources = template()["Resources"]
    for logical, name in (("JoinDocument", "adjoin-join"), ("LeaveDocument", "adjoin-leave"), ("SweepDocument", "adjoin-sweep")):
        assert resources[logical]["Properties"]["DocumentType"] == "Command"
        assert resources[logical]["Properties"]["Content"] == document(name), \
            "%s in adjoin.yaml differs from packaging/ssm/%s.json" % (logical, name)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_ssm_document_is_a_checked_linux_command_without_a_password(name):
    doc = document(name)
    assert doc["schemaVersion"] == "2.2"
    script = "\n".join("\n".join(step["inputs"]["runCommand"]) for step in doc["mainSteps"])
    assert all(step["action"] == "aws:runShellScript" for step in doc["mainSteps"])
    used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", script))
    declared = set(doc["parameters"])
    assert used == declared, (used, declared)
    for parameter, spec in doc["parameters"].items():
        assert not re.search(r"pass|secret|pwd", parameter, re.I), parameter
        assert spec["type"] == "String"
        # Every value lands inside single quotes in the script: a quote, $, backquote or backslash must
        # never get through, whatever else the parameter admits.
        assert "allowedPattern" in spec or "allowedValues" in spec, parameter
        if "allowedPattern" in spec:
            assert re.search(spec["allowedPattern"], spec["default"]), (parameter, spec["default"])
            for hostile in ("x'; touch /tmp/owned; '", "$(id)", "`id`", "a\\b", "a\nb", "a\"b"):
                assert not re.search(spec["allowedPattern"], hostile), (parameter, hostile)


def run_document(name, values, tmp_path):
    """Runs the document's script as the SSM agent does: {{ Name }} replaced by the value (or the
    default), the script run by sh. `adjoin` on PATH records the arguments it was given."""
    doc = document(name)
    script = "\n".join(doc["mainSteps"][0]["inputs"]["runCommand"])
    for parameter, spec in doc["parameters"].items():
        value = values.get(parameter, spec["default"])
        if "allowedPattern" in spec:
            assert re.search(spec["allowedPattern"], value), (parameter, value)
        else:
            assert value in spec["allowedValues"], (parameter, value)
        script = re.sub(r"\{\{\s*%s\s*\}\}" % parameter, lambda _: value, script)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    recorder = bin_dir / "adjoin"
    recorder.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\0" "$a"; done > "$ADJOIN_ARGV"\n')
    recorder.chmod(recorder.stat().st_mode | stat.S_IEXEC)
    argv_file = tmp_path / "argv"
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                            env={"PATH": "%s:/usr/bin:/bin" % bin_dir, "ADJOIN_ARGV": str(argv_file)})
    assert result.returncode == 0, result.stderr
    return argv_file.read_text().split("\0")[:-1]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_settings_parameter_takes_a_name_or_a_parameters_arn_as_the_agent_does(name):
    """adjoin's --parameter reads a shared parameter by its ARN (in the ARN's Region): each document lets one through."""
    pattern = document(name)["parameters"]["SettingsParameter"]["allowedPattern"]
    for value in ("adjoin", "/adjoin/settings", "arn:aws:ssm:eu-west-1:409876543210:parameter/adjoin"):
        assert re.search(pattern, value), (name, value)
    for value in ("arn:aws:ssm:eu-west-1:409876543210:parameter/a'b", "arn:aws:s3:::bucket", "a b"):
        assert not re.search(pattern, value), (name, value)


def test_join_document_with_defaults_joins_from_the_settings_parameter(tmp_path):
    assert run_document("adjoin-join", {}, tmp_path) == \
        ["join", "--output", "json", "--parameter", "adjoin", "--timeout", "20"]


def test_join_document_passes_each_override_as_one_argument(tmp_path):
    argv = run_document("adjoin-join", {
        "SettingsParameter": "/prod/adjoin",
        "OrganizationalUnit": "OU=Linux Servers,DC=corp,DC=example,DC=com",
        "AllowedGroups": "linux-admins, Domain Users ,,ops@corp.example.com",
        "StatusTable": "adjoin-status",
        "ComputerName": "WEB-01",
        "ConfigureHost": "false",
        "TimeoutSeconds": "45",
    }, tmp_path)
    assert argv == ["join", "--output", "json", "--parameter", "/prod/adjoin", "--timeout", "45",
                    "--ou", "OU=Linux Servers,DC=corp,DC=example,DC=com", "--status-table", "adjoin-status",
                    "--computer-name", "WEB-01", "--no-configure",
                    "--allow-group", "linux-admins", "--allow-group", "Domain Users",
                    "--allow-group", "ops@corp.example.com"]


def test_leave_document_leaves_locally_or_removes_another_instance(tmp_path):
    assert run_document("adjoin-leave", {}, tmp_path) == ["leave", "--parameter", "adjoin"]
    assert run_document("adjoin-leave", {"InstanceId": "i-0123456789abcdef0"}, tmp_path) == \
        ["leave", "--parameter", "adjoin", "--instance-id", "i-0123456789abcdef0"]
    assert run_document("adjoin-leave", {"ComputerName": "WEB-01"}, tmp_path) == \
        ["leave", "--parameter", "adjoin", "--computer-name", "WEB-01"]


def sub(value):
    """The text of a Fn::Sub, or of a Fn::GetAtt as 'Resource.Attribute'."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return ".".join(value["Fn::GetAtt"])
    return value


def instance_role_grants(uses_broker):
    """Action -> resource of the instance role's own policy, in the password modes or with the broker."""
    role = resolve_conditions(template()["Resources"]["InstanceRole"]["Properties"], {"UsesBroker": uses_broker})
    granted = {}
    for statement in [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
            granted[action] = sub(statement["Resource"])
    return granted


def test_instance_role_has_exact_actions_on_exact_resources():
    resources = template()["Resources"]
    role = resolve_conditions(resources["InstanceRole"]["Properties"], {"UsesBroker": False})
    assert "ManagedPolicyArns" not in role
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    granted = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, action
            granted[action] = sub(statement["Resource"])
    parameter_arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${SettingsParameterName}"
    assert granted == {
        "ssm:GetParameter": parameter_arn,
        "kms:Decrypt": "SettingsKey.Arn",
        "dynamodb:PutItem": "StatusTable.Arn",
        "dynamodb:UpdateItem": "StatusTable.Arn",
        "dynamodb:GetItem": "StatusTable.Arn",
        "ec2:DescribeTags": "*",
    }
    # The agent's messaging permissions (when the role carries them) include no parameter read.
    agent = resources["InstanceAgentPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert not [a for s in agent for a in s["Action"] if a.startswith("ssm:Get") or a.startswith("kms:")]


def test_with_the_broker_instances_may_only_invoke_it_through_its_url_and_read_no_password():
    member = template()
    resources = member["Resources"]
    parameter_arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${SettingsParameterName}"
    # The role's own policy: the settings parameter (now a String naming the broker), the status, the tags; no KMS.
    assert instance_role_grants(uses_broker=True) == {
        "ssm:GetParameter": parameter_arn,
        "dynamodb:PutItem": "StatusTable.Arn",
        "dynamodb:UpdateItem": "StatusTable.Arn",
        "dynamodb:GetItem": "StatusTable.Arn",
        "ec2:DescribeTags": "*",
    }
    assert "kms:Decrypt" in instance_role_grants(uses_broker=False)
    # The broker's function, through its URL only.
    broker = resources["InstanceBrokerPolicy"]
    assert broker["Condition"] == "UsesBroker"
    statements = broker["Properties"]["PolicyDocument"]["Statement"]
    assert {(s["Effect"], s["Action"], json.dumps(s["Resource"]), json.dumps(s["Condition"], sort_keys=True))
            for s in statements} == {
        ("Allow", "lambda:InvokeFunctionUrl", json.dumps({"Ref": "BrokerFunctionArn"}),
         json.dumps({"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}})),
        ("Allow", "lambda:InvokeFunction", json.dumps({"Ref": "BrokerFunctionArn"}),
         json.dumps({"Bool": {"lambda:InvokedViaFunctionUrl": "true"}})),
    }
    # No password anywhere: the SecureString is not written, the String parameter holds the URL and the status table.
    password_mode = member["Conditions"]["KeepsPasswordSettings"]["Fn::And"]
    assert {"Fn::Equals": [{"Ref": "BrokerUrl"}, ""]} in password_mode
    assert resources["SettingsParameter"]["Condition"] == "KeepsPasswordSettings"
    pointer = resources["BrokerSettingsParameter"]
    assert pointer["Condition"] == "UsesBroker" and pointer["Properties"]["Type"] == "String"
    text, _ = pointer["Properties"]["Value"]["Fn::Sub"]
    rendered = json.loads(text.replace("${BrokerUrl}", "https://x.lambda-url.eu-west-1.on.aws/")
                          .replace("${StatusTable}", "adjoin-status").replace("${AWS::Region}", "eu-west-1"))
    assert rendered == {"broker": "https://x.lambda-url.eu-west-1.on.aws/", "statusTable": "adjoin-status",
                        "statusRegion": "eu-west-1"}
    (functions, no_credential) = member["Rules"]["TheBrokerHoldsTheCredential"]["Assertions"]
    assert {"Fn::Equals": [{"Ref": "JoinPassword"}, ""]} in no_credential["Assert"]["Fn::And"]
    assert {"Fn::Equals": [{"Ref": "CentralSettingsTable"}, ""]} in no_credential["Assert"]["Fn::And"]
    assert {"Fn::Equals": [{"Ref": "JoinSecretArn"}, ""]} in no_credential["Assert"]["Fn::And"]
    # Nothing the broker-mode stack makes reads a secret: every optional part on (admin host, Distributor package,
    # forwarding), the modes the Rules exclude with the broker off.
    truth = {name: True for name in member["Conditions"]}
    truth.update({"KeepsPasswordSettings": False, "UsesCentralSettings": False, "AssumesCentralRole": False,
                  "CentralRegionGiven": False, "HasJoinSecret": False, "HasJoinSecretKey": False})
    deployed = {name: resolve_conditions(resource, truth) for name, resource in resources.items()
                if truth.get(resource.get("Condition"), True)}
    assert "SettingsParameter" not in deployed and "InstanceCentralSettingsPolicy" not in deployed
    assert "secretsmanager:" not in json.dumps(deployed)
    assert "kms:Decrypt" not in json.dumps(deployed)


def test_termination_rule_runs_remote_leave_of_the_terminated_instance_on_the_admin_host():
    resources = template()["Resources"]
    rule = resources["TerminationRule"]["Properties"]
    assert rule["EventPattern"]["detail"]["state"] == ["terminated"]
    assert rule["EventPattern"]["detail-type"] == ["EC2 Instance State-change Notification"]
    target = rule["Targets"][0]
    assert sub(target["Arn"]).endswith(":document/${LeaveDocument}")
    assert target["RunCommandParameters"]["RunCommandTargets"] == [
        {"Key": "InstanceIds", "Values": [{"Ref": "AdminInstanceId"}]}]
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {"instance": "$.detail.instance-id"}
    rendered = json.loads(transformer["InputTemplate"].replace("<instance>", '"i-0123456789abcdef0"'))
    assert rendered == {"InstanceId": ["i-0123456789abcdef0"]}
    assert set(rendered) <= set(document("adjoin-leave")["parameters"])
    allowed = resources["TerminationRuleRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in allowed] == ["ssm:SendCommand"]
    assert sorted(sub(r) for r in allowed[0]["Resource"]) == sorted([
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${LeaveDocument}",
        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/${AdminInstanceId}"])


class ResponseCatcher:
    """CloudFormation's side of a custom resource: the pre-signed URL the function PUTs its result to,
    served on loopback."""

    def __init__(self):
        self.bodies = []
        catcher = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self):
                catcher.bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/response" % self.server.server_address[1]

    def last(self):
        return json.loads(self.bodies[-1])


@pytest.fixture
def moto(monkeypatch):
    endpoint = os.environ.get("ADJOIN_LAB_MOTO_ENDPOINT")
    if not endpoint:
        pytest.fail("ADJOIN_LAB_MOTO_ENDPOINT is not set: run through scripts/test-packaging (it starts the lab)")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    import boto3
    return boto3


def settings_writer(tmp_path):
    """The function's code, exactly as the template carries it inline."""
    code = template()["Resources"]["SettingsWriterFunction"]["Properties"]["Code"]["ZipFile"]
    assert len(code) <= 4096, "inline Lambda code is limited to 4096 characters"
    path = tmp_path / "index.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("adjoin_settings_writer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_writer_stores_a_securestring_with_the_stacks_key_and_never_shows_the_password(
        moto, tmp_path, capfd):
    writer = settings_writer(tmp_path)
    catcher = ResponseCatcher()
    ssm = moto.client("ssm")
    key_arn = moto.client("kms").create_key(Description="adjoin test")["KeyMetadata"]["Arn"]
    name = "adjoin-test-%d" % os.getpid()
    password = "pa'ss\"wo{rd}$(id)-%d" % os.getpid()
    properties = {"Name": name, "KeyId": key_arn, "Domain": "corp.example.com", "DomainControllers": "",
                  "JoinUser": "adjoiner", "JoinPassword": password, "OrganizationalUnit": "OU=Linux,DC=corp",
                  "AllowedGroups": "linux-admins, ops", "StatusTable": "adjoin-status", "StatusRegion": "eu-west-1"}
    event = {"RequestType": "Create", "ResponseURL": catcher.url, "StackId":
             "arn:aws:cloudformation:us-east-1:123456789012:stack/adjoin/guid", "RequestId": "r1",
             "LogicalResourceId": "SettingsParameter", "ResourceType": "Custom::AdjoinSettingsParameter",
             "ResourceProperties": properties}
    try:
        writer.handler(event, None)
        assert catcher.last()["Status"] == "SUCCESS", catcher.last()
        assert catcher.last()["PhysicalResourceId"] == name
        stored = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert stored["Type"] == "SecureString"
        described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
        assert described[0]["KeyId"] == key_arn
        assert json.loads(stored["Value"]) == {
            "domain": "corp.example.com", "joinUser": "adjoiner", "joinPassword": password,
            "organizationalUnit": "OU=Linux,DC=corp", "allowedGroups": ["linux-admins", "ops"],
            "statusTable": "adjoin-status", "statusRegion": "eu-west-1"}

        # A new password replaces the value in place.
        update = dict(event, RequestType="Update", PhysicalResourceId=name,
                      ResourceProperties=dict(properties, JoinPassword=password + "-new"))
        writer.handler(update, None)
        assert catcher.last()["Status"] == "SUCCESS"
        assert json.loads(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])[
            "joinPassword"] == password + "-new"

        # Another stack's (or a person's) parameter of the same name is neither overwritten nor deleted.
        writer.handler(dict(event, RequestId="r2"), None)
        failed = catcher.last()
        assert failed["Status"] == "FAILED" and "ParameterAlreadyExists" in failed["Reason"], failed
        writer.handler(dict(event, RequestType="Delete", PhysicalResourceId=failed["PhysicalResourceId"]), None)
        assert catcher.last()["Status"] == "SUCCESS"
        assert ssm.get_parameter(Name=name)["Parameter"]["Name"] == name

        writer.handler(dict(event, RequestType="Delete", PhysicalResourceId=name), None)
        assert catcher.last()["Status"] == "SUCCESS"
        with pytest.raises(ssm.exceptions.ParameterNotFound):
            ssm.get_parameter(Name=name)
        # Deleting what is already gone succeeds (a stack rollback may ask twice).
        writer.handler(dict(event, RequestType="Delete", PhysicalResourceId=name), None)
        assert catcher.last()["Status"] == "SUCCESS"
    finally:
        catcher.server.shutdown()
        try:
            ssm.delete_parameter(Name=name)
        except ssm.exceptions.ParameterNotFound:
            pass
    output = capfd.readouterr()
    for text in catcher.bodies + [output.out, output.err]:
        assert password not in text
    assert len(catcher.bodies) == 6 and all(json.loads(body)["NoEcho"] for body in catcher.bodies)


def test_settings_writer_names_the_join_secret_and_the_central_status_role_instead(tmp_path):
    """With JoinSecretArn the parameter names the secret (no password; the user may come from the secret), and
    with a central status table its role; the agent refuses a parameter that gives both a password and a secret."""
    writer = settings_writer(tmp_path)
    secret = "arn:aws:secretsmanager:eu-west-1:409876543210:secret:adjoin/join-credentials-AbCdEf"
    properties = {"Domain": "corp.example.com", "DomainControllers": "", "JoinUser": "", "JoinPassword": "",
                  "JoinSecret": secret, "OrganizationalUnit": "", "AllowedGroups": "",
                  "StatusTable": "adjoin-fleet-status", "StatusRegion": "eu-west-1",
                  "StatusRoleArn": "arn:aws:iam::409876543210:role/adjoin-central-StatusWriterRole-X"}
    assert json.loads(writer.settings(properties)) == {
        "domain": "corp.example.com", "joinPasswordSecret": secret, "statusTable": "adjoin-fleet-status",
        "statusRegion": "eu-west-1", "statusRoleArn": "arn:aws:iam::409876543210:role/adjoin-central-StatusWriterRole-X"}
    local = dict(properties, JoinUser="adjoiner", JoinPassword="pw", JoinSecret="", StatusRoleArn="")
    assert json.loads(writer.settings(local)) == {
        "domain": "corp.example.com", "joinUser": "adjoiner", "joinPassword": "pw",
        "statusTable": "adjoin-fleet-status", "statusRegion": "eu-west-1"}


def test_user_data_example_is_valid_bash_and_carries_no_secret():
    path = os.path.join(ROOT, "packaging/user-data/adjoin-user-data.sh")
    run(["bash", "-n", path])
    with open(path, encoding="utf-8") as f:
        text = f.read()
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"password|--password-stdin|joinPassword", code, re.I)
    assert 'sha256sum --check' in code and 'apt-get install -y -q "$package"' in code and 'dnf install -y -q "$package"' in code
    # Every unit the packages enable is started, the leave unit before the join (a termination while the join
    # still retries must leave too).
    starts = re.findall(r"systemctl start (\S+)", code)
    assert starts == ["adjoin-leave.service", "adjoin-join.service", "adjoin-rotate.timer"], starts


def test_user_data_takes_the_package_of_the_instances_package_manager_and_architecture(tmp_path):
    """The script up to the download, run with a dpkg (or a dnf and uname) that says each architecture: the URL
    and checksum it picks. PATH holds only the doubles, so the machine's own tools do not decide."""
    with open(os.path.join(ROOT, "packaging/user-data/adjoin-user-data.sh"), encoding="utf-8") as f:
        text = f.read()
    head = text[:text.index("package=/var/tmp/adjoin.")]

    def chosen(tools, arch):
        bin_dir = tmp_path / ("bin-" + "-".join(tools) + "-" + arch)
        bin_dir.mkdir()
        for tool in tools:
            (bin_dir / tool).write_text('#!/bin/sh\necho "$ARCH"\n')
            (bin_dir / tool).chmod(0o755)
        result = subprocess.run(["/bin/bash", "-c", head + 'echo "$ADJOIN_FORMAT $ADJOIN_URL $ADJOIN_SHA256"'],
                                capture_output=True, text=True, env={"PATH": str(bin_dir), "ARCH": arch})
        return result.returncode, result.stdout.strip()

    base = "https://artifacts.example.com/adjoin/"
    assert chosen(["dpkg"], "amd64") == (0, "deb " + base + "adjoin_0.1.0_amd64.deb replace-with-the-sha256-of-the-amd64-package")
    assert chosen(["dpkg"], "arm64") == (0, "deb " + base + "adjoin_0.1.0_arm64.deb replace-with-the-sha256-of-the-arm64-package")
    assert chosen(["dpkg"], "riscv64")[0] != 0
    assert chosen(["dnf", "uname"], "x86_64") == (0, "rpm " + base + "adjoin-0.1.0-1.x86_64.rpm replace-with-the-sha256-of-the-x86_64-rpm")
    assert chosen(["dnf", "uname"], "aarch64") == (0, "rpm " + base + "adjoin-0.1.0-1.aarch64.rpm replace-with-the-sha256-of-the-aarch64-rpm")
    assert chosen(["dnf", "uname"], "s390x")[0] != 0


def test_sweep_document_is_a_dry_run_unless_told_to_apply(tmp_path):
    assert run_document("adjoin-sweep", {}, tmp_path) == \
        ["sweep", "--output", "json", "--parameter", "adjoin", "--timeout", "900"]
    assert run_document("adjoin-sweep", {"RoleName": "ops/adjoin-sweep", "Apply": "true", "TimeoutSeconds": "1800"}, tmp_path) == \
        ["sweep", "--output", "json", "--parameter", "adjoin", "--timeout", "1800", "--role-name", "ops/adjoin-sweep", "--apply"]


def test_the_sweep_runs_daily_on_the_admin_host_with_its_rights_alone():
    resources = template()["Resources"]
    admin_arn = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/${AdminInstanceId}"
    policy = resources["SweepPolicy"]
    assert policy["Condition"] == "HasAdminHost"
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    granted = {s["Action"]: sub(s["Resource"]) for s in statements}
    assert granted == {"ec2:DescribeInstances": "*", "sts:AssumeRole": "arn:${AWS::Partition}:iam::*:role/${SweepRoleName}"}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert {k: sub(v) for k, v in statement["Condition"]["StringEquals"].items()} == {"ec2:SourceInstanceARN": admin_arn}, statement
    association = resources["SweepAssociation"]
    assert association["Condition"] == "HasSweepSchedule"
    assert template()["Parameters"]["SweepSchedule"]["Default"] == "rate(1 day)"
    properties = association["Properties"]
    assert properties["Name"] == {"Ref": "SweepDocument"}
    assert properties["Targets"] == [{"Key": "InstanceIds", "Values": [{"Ref": "AdminInstanceId"}]}]
    assert properties["Parameters"] == {"RoleName": [{"Ref": "SweepRoleName"}], "Apply": ["true"]}
    with open(SWEEP_ROLE_TEMPLATE, encoding="utf-8") as f:
        member = yaml.safe_load(f)["Resources"]
    trust = member["SweepRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"AWS": {"Ref": "AdminRoleArn"}}, "Action": "sts:AssumeRole"}]
    actions = [s["Action"] for p in member["SweepRole"]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    actions += [s["Action"] for s in member["SweepStatusPolicy"]["Properties"]["PolicyDocument"]["Statement"]]
    assert actions == ["ec2:DescribeInstances", ["dynamodb:PutItem", "dynamodb:UpdateItem"]]
