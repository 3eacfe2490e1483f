"""Tests of the lab's AWS fixtures against a real moto_server: python3 -m pytest -q scripts/lab-support"""

import json
import os
import subprocess
import sys

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "aws_fixtures.py")
ROLE = "arn:aws:iam::111122223333:role/adjoin-fixture-test"


def run(moto, fixture, **arguments):
    """The fixture as the Swift tests run it: the request on stdin, the answer on stdout."""
    done = subprocess.run([sys.executable, FIXTURES], input=json.dumps({"fixture": fixture, "arguments": arguments}),
                          capture_output=True, text=True, env=dict(os.environ, ADJOIN_LAB_MOTO_ENDPOINT=moto), timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def moto_client(moto, name, region="us-east-1", credentials=None):
    keys = credentials or {"aws_access_key_id": "fixture", "aws_secret_access_key": "fixture"}
    return boto3.client(name, endpoint_url=moto, region_name=region, **keys)


def test_a_secure_string_is_encrypted_under_a_key_of_its_own(moto):
    run(moto, "put_secure_string", name="/fixture/settings", value='{"joinPassword": "Pa55-é"}')
    ssm = moto_client(moto, "ssm")
    parameter = ssm.get_parameter(Name="/fixture/settings", WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert parameter["Value"] == '{"joinPassword": "Pa55-é"}'
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/fixture/settings"]}])["Parameters"]
    assert described[0]["KeyId"] != "alias/aws/ssm"  # what moto records for a SecureString without a key of its own


def test_the_status_table_is_made_once_and_its_item_read_as_text(moto):
    run(moto, "create_status_table", name="fixture-status")
    run(moto, "create_status_table", name="fixture-status")
    assert run(moto, "status_item", table="fixture-status", instance_id="i-0abc") is None
    run(moto, "put_item", table="fixture-status", item={"instanceId": {"S": "i-0abc"}, "status": {"S": "JOINED"}, "sequence": {"N": "2"}})
    assert run(moto, "status_item", table="fixture-status", instance_id="i-0abc") == {"instanceId": "i-0abc", "status": "JOINED",
                                                                                      "sequence": "2"}


def test_with_a_role_the_fixture_lands_in_the_roles_account(moto):
    run(moto, "create_status_table", name="fixture-central", role=ROLE, region="eu-west-1")
    assert "fixture-central" not in moto_client(moto, "dynamodb", "eu-west-1").list_tables()["TableNames"]
    credentials = run(moto, "assume_role", role=ROLE)
    keys = {"aws_access_key_id": credentials["accessKeyId"], "aws_secret_access_key": credentials["secretAccessKey"],
            "aws_session_token": credentials["sessionToken"]}
    assert "fixture-central" in moto_client(moto, "dynamodb", "eu-west-1", keys).list_tables()["TableNames"]


def test_a_secret_is_replaced_under_the_same_arn(moto):
    first = run(moto, "put_secret", name="fixture-secret", value="one")
    second = run(moto, "put_secret", name="fixture-secret", value="two")
    assert first == second
    assert moto_client(moto, "secretsmanager").get_secret_value(SecretId=first)["SecretString"] == "two"


def test_tags_are_what_describe_tags_answers(moto):
    instance = moto_client(moto, "ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    run(moto, "tag_instance", instance_id=instance, tags={"adGroupName": "linux-admins", "autoadjoin": "true"})
    tags = moto_client(moto, "ec2").describe_tags(Filters=[{"Name": "resource-id", "Values": [instance]}])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"adGroupName": "linux-admins", "autoadjoin": "true"}


def test_an_unknown_fixture_is_refused_by_name(moto):
    done = subprocess.run([sys.executable, FIXTURES], input=json.dumps({"fixture": "drop_everything"}), capture_output=True,
                          text=True, env=dict(os.environ, ADJOIN_LAB_MOTO_ENDPOINT=moto), timeout=60)
    assert done.returncode != 0
    assert "drop_everything" in done.stderr and "put_secure_string" in done.stderr
