"""The central account's stack (adjoin-central.yaml) and the member stack's central-settings parameters:
cfn-lint clean, and least privilege read from the templates themselves: a member session reads its own
account's item and the one secret, nothing else."""
import json
import os
import subprocess

import yaml

from conftest import ROOT, resolve_conditions

CENTRAL = os.path.join(ROOT, "packaging/cloudformation/adjoin-central.yaml")
MEMBER = os.path.join(ROOT, "packaging/cloudformation/adjoin.yaml")


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def test_central_template_passes_cfn_lint_without_warnings():
    result = subprocess.run(["cfn-lint", "--format", "parseable", CENTRAL], capture_output=True, text=True)
    assert result.returncode == 0, "cfn-lint:\n" + result.stdout + result.stderr


def test_reader_role_reads_its_own_accounts_item_and_the_one_secret_only():
    resources = load(CENTRAL)["Resources"]
    role = resolve_conditions(resources["SettingsReaderRole"]["Properties"], {"InstancesReadTheSecret": True, "ByOrganization": True})
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    granted = {(s["Action"], json.dumps(s["Resource"], sort_keys=True)) for s in statements}
    assert granted == {
        ("dynamodb:GetItem", json.dumps({"Fn::GetAtt": ["SettingsTable", "Arn"]})),
        ("secretsmanager:GetSecretValue", json.dumps({"Ref": "JoinSecret"})),
        ("kms:Decrypt", json.dumps({"Fn::GetAtt": ["SecretKey", "Arn"]}, sort_keys=True)),
    }
    assert all(s["Effect"] == "Allow" for s in statements)
    item = next(s for s in statements if s["Action"] == "dynamodb:GetItem")
    assert item["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/adjoin-account}"]}}
    decrypt = next(s for s in statements if s["Action"] == "kms:Decrypt")
    assert decrypt["Condition"]["StringEquals"]["kms:ViaService"] == {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}

    # Who may assume it: member instance roles (by organisation or account list), and only with the
    # session tag naming their own account, the tag the item condition reads.
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert trust["Condition"]["StringEquals"]["aws:RequestTag/adjoin-account"] == "${aws:PrincipalAccount}"
    assert trust["Condition"]["ForAllValues:StringEquals"] == {"aws:TagKeys": ["adjoin-account"]}
    untouched = resources["SettingsReaderRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert untouched["Principal"]["AWS"]["Fn::If"][2] == {"Ref": "MemberAccountIds"}
    assert "aws:PrincipalOrgID" in trust["Condition"]["StringEquals"]

    # When every member joins through the broker, the instances' reader role reads settings items and no secret.
    broker_only = resolve_conditions(resources["SettingsReaderRole"]["Properties"], {"InstancesReadTheSecret": False, "ByOrganization": True})
    assert [s["Action"] for policy in broker_only["Policies"] for s in policy["PolicyDocument"]["Statement"]] == ["dynamodb:GetItem"]


def test_the_secret_is_in_seamless_domain_joins_format_and_only_the_reader_reads_it():
    resources = load(CENTRAL)["Resources"]
    template, names = resources["JoinSecret"]["Properties"]["SecretString"]["Fn::Sub"]
    rendered = template.replace("${User}", "adjoiner").replace("${Password}", "pw")
    assert json.loads(rendered) == {"awsSeamlessDomainUsername": "adjoiner", "awsSeamlessDomainPassword": "pw"}
    assert names == {"User": {"Ref": "JoinUser"}, "Password": {"Ref": "JoinPassword"}}
    policy = resources["JoinSecretPolicy"]["Properties"]["ResourcePolicy"]
    readers = {"reader": {"Fn::GetAtt": ["SettingsReaderRole", "Arn"]}, "broker": {"Fn::GetAtt": ["BrokerRole", "Arn"]}}
    for reader_reads, broker in ((True, False), (True, True), (False, True)):
        (deny,) = resolve_conditions(policy, {"InstancesReadTheSecret": reader_reads, "HasBroker": broker})["Statement"]
        assert deny["Effect"] == "Deny" and deny["Action"] == "secretsmanager:GetSecretValue"
        expected = [readers["reader"]] * reader_reads + [readers["broker"]] * broker
        assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": expected}}, (reader_reads, broker)


def test_member_stack_points_to_the_table_and_may_only_assume_the_reader_role_for_itself():
    member = load(MEMBER)
    resources = member["Resources"]
    assert resources["SettingsParameter"]["Condition"] == "KeepsPasswordSettings"
    assert {"Condition": "KeepsLocalSettings"} in member["Conditions"]["KeepsPasswordSettings"]["Fn::And"]
    pointer = resources["SettingsPointerParameter"]
    assert pointer["Condition"] == "UsesCentralSettings" and pointer["Properties"]["Type"] == "String"
    template, values = pointer["Properties"]["Value"]["Fn::Sub"]
    rendered = (template.replace("${CentralSettingsTable}", "adjoin-settings").replace("${Region}", "eu-west-1")
                .replace("${Role}", ',"settingsRoleArn":"arn:aws:iam::409876543210:role/r"'))
    assert json.loads(rendered) == {"settingsTable": "adjoin-settings", "settingsRegion": "eu-west-1",
                                    "settingsRoleArn": "arn:aws:iam::409876543210:role/r"}
    (assume,) = resources["InstanceCentralSettingsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(assume["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert assume["Resource"] == {"Ref": "CentralSettingsRoleArn"}
    assert assume["Condition"]["StringEquals"] == {"aws:RequestTag/adjoin-account": {"Ref": "AWS::AccountId"}}


def test_the_fleet_status_table_is_written_through_a_role_that_may_only_write_it():
    resources = load(CENTRAL)["Resources"]
    table = resources["StatusTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "instanceId", "KeyType": "HASH"}]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-status"
    assert index["KeySchema"] == [{"AttributeName": "status", "KeyType": "HASH"},
                                  {"AttributeName": "updatedAt", "KeyType": "RANGE"}]
    role = resources["StatusWriterRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert [(s["Effect"], s["Action"], s["Resource"]) for s in statements] == [
        ("Allow", ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"], {"Fn::GetAtt": ["StatusTable", "Arn"]})]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    # The agent assumes the status role without session tags (Sources/AWS/StatusTable.swift): AssumeRole alone.
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Principal"]["AWS"]["Fn::If"][2] == {"Ref": "MemberAccountIds"}
    assert "aws:PrincipalOrgID" in trust["Condition"]["StringEquals"]
    outputs = load(CENTRAL)["Outputs"]
    assert outputs["StatusWriterRole"]["Value"] == {"Fn::GetAtt": ["StatusWriterRole", "Arn"]}


def test_member_stack_writes_the_central_status_table_through_the_writer_role():
    resources = load(MEMBER)["Resources"]
    settings = resources["SettingsParameter"]["Properties"]
    assert settings["StatusTable"] == {"Fn::If": ["UsesCentralStatus", {"Ref": "CentralStatusTable"}, {"Ref": "StatusTable"}]}
    assert settings["StatusRoleArn"] == {"Ref": "CentralStatusRoleArn"}
    policy = resources["InstanceCentralStatusPolicy"]
    assert policy["Condition"] == "AssumesCentralStatusRole"
    (assume,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (assume["Action"], assume["Resource"]) == ("sts:AssumeRole", {"Ref": "CentralStatusRoleArn"})


def test_member_stack_reads_a_join_secret_it_is_given_and_nothing_else():
    member = load(MEMBER)
    resources = member["Resources"]
    assert member["Conditions"]["HasJoinSecret"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "JoinSecretArn"}, ""]}]}
    policy = resources["InstanceJoinSecretPolicy"]
    assert policy["Condition"] == "HasJoinSecret"
    read, decrypt = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (read["Action"], read["Resource"]) == ("secretsmanager:GetSecretValue", {"Ref": "JoinSecretArn"})
    condition, granted, absent = decrypt["Fn::If"]
    assert condition == "HasJoinSecretKey" and absent == {"Ref": "AWS::NoValue"}
    assert (granted["Action"], granted["Resource"]) == ("kms:Decrypt", {"Ref": "JoinSecretKeyArn"})
    assert granted["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}
    assert resources["SettingsParameter"]["Properties"]["JoinSecret"] == {"Ref": "JoinSecretArn"}
BROKER_MEMBER_ROLE = os.path.join(ROOT, "packaging/cloudformation/adjoin-broker-member-role.yaml")
BROKER_RESOURCES = {"BrokerSecurityGroup", "BrokerLogGroup", "BrokerRole", "BrokerFunction", "BrokerUrl",
                    "BrokerUrlPermission", "BrokerInvokeThroughUrlPermission", "BrokerEventBusPolicy",
                    "BrokerTerminationRule", "BrokerTerminationPermission"}


def test_broker_member_role_template_passes_cfn_lint_and_only_describes_instances():
    result = subprocess.run(["cfn-lint", "--format", "parseable", BROKER_MEMBER_ROLE], capture_output=True, text=True)
    assert result.returncode == 0, "cfn-lint:\n" + result.stdout + result.stderr
    resources = load(BROKER_MEMBER_ROLE)["Resources"]
    role = resources["BrokerMemberRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "BrokerRoleArn"}} and trust["Action"] == "sts:AssumeRole"
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert [(s["Action"], s["Resource"]) for s in statements] == [("ec2:DescribeInstances", "*")]
    status = resources["BrokerMemberStatusPolicy"]
    assert status["Condition"] == "HasStatusTable"
    assert [s["Action"] for s in status["Properties"]["PolicyDocument"]["Statement"]] == [["dynamodb:PutItem", "dynamodb:UpdateItem"]]


def test_broker_is_optional_and_each_of_its_resources_exists_only_with_it():
    central = load(CENTRAL)
    resources = central["Resources"]
    assert BROKER_RESOURCES <= set(resources), BROKER_RESOURCES - set(resources)
    conditions = central["Conditions"]
    for name in BROKER_RESOURCES:
        condition = resources[name]["Condition"]
        # Every broker condition includes HasBroker, which is BrokerCodeS3Bucket given.
        chain, seen = [condition], set()
        while chain:
            current = chain.pop()
            seen.add(current)
            chain.extend(part["Condition"] for part in conditions[current].get("Fn::And", []) if "Condition" in part)
        assert "HasBroker" in seen, (name, condition)
    assert conditions["HasBroker"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "BrokerCodeS3Bucket"}, ""]}]}
    assert central["Parameters"]["BrokerCodeS3Bucket"]["Default"] == ""


def test_broker_function_runs_the_bundle_in_the_vpc_reaching_only_the_dcs_and_https():
    resources = load(CENTRAL)["Resources"]
    function = resources["BrokerFunction"]["Properties"]
    assert function["Runtime"] == "provided.al2023"
    assert function["Architectures"] == [{"Ref": "BrokerArchitecture"}]
    assert function["Code"] == {"S3Bucket": {"Ref": "BrokerCodeS3Bucket"}, "S3Key": {"Ref": "BrokerCodeS3Key"}}
    assert function["VpcConfig"] == {"SubnetIds": {"Ref": "BrokerSubnetIds"},
                                     "SecurityGroupIds": [{"Fn::GetAtt": ["BrokerSecurityGroup", "GroupId"]}]}
    # The broker's configuration (Sources/Agent/BrokerAWS.swift, BrokerRuntime.swift read these names).
    assert function["Environment"]["Variables"] == {"ADJOIN_BROKER_SETTINGS": {"Fn::GetAtt": ["SettingsTable", "Arn"]},
                                                    "ADJOIN_BROKER_ALLOWED": {"Ref": "BrokerAllowed"},
                                                    "ADJOIN_BROKER_MEMBER_ROLE": {"Ref": "BrokerMemberRoleName"}}
    group = resources["BrokerSecurityGroup"]["Properties"]
    assert "SecurityGroupIngress" not in group
    egress = {(rule["IpProtocol"], rule["FromPort"], rule["ToPort"], json.dumps(rule["CidrIp"])) for rule in group["SecurityGroupEgress"]}
    dcs = json.dumps({"Ref": "DomainControllerCidr"})
    assert egress == {(protocol, port, port, dcs) for protocol in ("tcp", "udp") for port in (53, 88, 389, 464)} | {
        ("tcp", 443, 443, json.dumps("0.0.0.0/0"))}


def test_broker_url_takes_iam_signatures_from_the_organisation_only():
    central = load(CENTRAL)
    resources = central["Resources"]
    url = resources["BrokerUrl"]["Properties"]
    assert url == {"TargetFunctionArn": {"Ref": "BrokerFunction"}, "AuthType": "AWS_IAM"}
    url_permission = resources["BrokerUrlPermission"]["Properties"]
    assert url_permission == {"FunctionName": {"Ref": "BrokerFunction"}, "Action": "lambda:InvokeFunctionUrl",
                              "FunctionUrlAuthType": "AWS_IAM", "Principal": "*",
                              "PrincipalOrgID": {"Ref": "OrganizationId"}}
    invoke_permission = resources["BrokerInvokeThroughUrlPermission"]["Properties"]
    assert invoke_permission == {"FunctionName": {"Ref": "BrokerFunction"}, "Action": "lambda:InvokeFunction",
                                 "InvokedViaFunctionUrl": True, "Principal": "*",
                                 "PrincipalOrgID": {"Ref": "OrganizationId"}}
    # Only with an organisation (a Rule requires it with the broker): never open to "*" without aws:PrincipalOrgID.
    for name in ("BrokerUrlPermission", "BrokerInvokeThroughUrlPermission"):
        assert resources[name]["Condition"] == "HasBrokerForOrganization"
    assert {"Condition": "ByOrganization"} in central["Conditions"]["HasBrokerForOrganization"]["Fn::And"]
    organisation = central["Rules"]["BrokerNeedsItsNetworkAndTheOrganization"]["Assertions"]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "OrganizationId"}, ""]}]} in [a["Assert"] for a in organisation]
    assert central["Outputs"]["BrokerUrl"]["Value"] == {"Fn::GetAtt": ["BrokerUrl", "FunctionUrl"]}


def test_broker_role_reads_the_secret_the_items_and_assumes_the_member_roles_only():
    role = load(CENTRAL)["Resources"]["BrokerRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    granted = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]:
            granted[action] = json.dumps(statement["Resource"], sort_keys=True)
    network = {action: json.dumps("*") for action in (
        "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses")}
    assert granted == dict(network, **{
        "dynamodb:GetItem": json.dumps({"Fn::GetAtt": ["SettingsTable", "Arn"]}),
        "secretsmanager:GetSecretValue": json.dumps({"Ref": "JoinSecret"}),
        "kms:Decrypt": json.dumps({"Fn::GetAtt": ["SecretKey", "Arn"]}),
        "sts:AssumeRole": json.dumps({"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${BrokerMemberRoleName}"}),
        "logs:CreateLogStream": json.dumps({"Fn::GetAtt": ["BrokerLogGroup", "Arn"]}),
        "logs:PutLogEvents": json.dumps({"Fn::GetAtt": ["BrokerLogGroup", "Arn"]}),
    })
    assume = next(s for s in statements if s["Action"] == "sts:AssumeRole")
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": {"Ref": "OrganizationId"}}}


def test_terminated_events_reach_the_broker_when_asked():
    central = load(CENTRAL)
    resources = central["Resources"]
    rule = resources["BrokerTerminationRule"]
    assert rule["Condition"] == "HasBrokerTerminationEvents"
    assert rule["Properties"]["EventPattern"] == {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
                                                  "detail": {"state": ["terminated"]}}
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["BrokerFunction", "Arn"]}
    permission = resources["BrokerTerminationPermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["BrokerTerminationRule", "Arn"]}
    bus = resources["BrokerEventBusPolicy"]["Properties"]["Statement"]
    assert bus["Action"] == "events:PutEvents" and bus["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
    # The member side forwards its own terminated events to that bus.
    member = load(MEMBER)["Resources"]
    forward = member["TerminationForwardRule"]["Properties"]
    assert forward["EventPattern"] == rule["Properties"]["EventPattern"]
    assert forward["Targets"][0]["Arn"] == {"Ref": "CentralEventBusArn"}
    forward_role = member["TerminationForwardRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [(s["Action"], s["Resource"]) for s in forward_role] == [("events:PutEvents", {"Ref": "CentralEventBusArn"})]
