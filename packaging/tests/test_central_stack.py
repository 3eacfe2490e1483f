"""The central account's stack (adjoin-central.yaml) and the member stack's central-settings parameters:
cfn-lint clean, and least privilege read from the templates themselves: a member session reads its own
account's item and the one secret, nothing else."""
import json
import os
import subprocess

import yaml

from conftest import ROOT

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
    role = resources["SettingsReaderRole"]["Properties"]
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
    assert trust["Principal"]["AWS"]["Fn::If"][2] == {"Ref": "MemberAccountIds"}
    assert "aws:PrincipalOrgID" in trust["Condition"]["StringEquals"]


def test_the_secret_is_in_seamless_domain_joins_format_and_only_the_reader_reads_it():
    resources = load(CENTRAL)["Resources"]
    template, names = resources["JoinSecret"]["Properties"]["SecretString"]["Fn::Sub"]
    rendered = template.replace("${User}", "adjoiner").replace("${Password}", "pw")
    assert json.loads(rendered) == {"awsSeamlessDomainUsername": "adjoiner", "awsSeamlessDomainPassword": "pw"}
    assert names == {"User": {"Ref": "JoinUser"}, "Password": {"Ref": "JoinPassword"}}
    (deny,) = resources["JoinSecretPolicy"]["Properties"]["ResourcePolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "secretsmanager:GetSecretValue"
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["SettingsReaderRole", "Arn"]}}}


def test_member_stack_points_to_the_table_and_may_only_assume_the_reader_role_for_itself():
    member = load(MEMBER)
    resources = member["Resources"]
    assert resources["SettingsParameter"]["Condition"] == "KeepsLocalSettings"
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
