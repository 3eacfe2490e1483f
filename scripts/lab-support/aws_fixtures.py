#!/usr/bin/env python3
"""The lab's AWS fixtures, the one definition of them: what scripts/demo and the Swift tests put into
moto before the agent runs (the `adjoin` SecureString parameter, status tables and their items, instance
tags, secrets, roles' credentials) and what they read back.

They are made in moto directly with boto3; the agent's own calls go through the signature-checking
proxy. moto keeps one backend per account and files each request under its key's account, so with
`role` (an ARN) a fixture is made with that role's credentials, in that role's account.

Use it as a module (`import aws_fixtures`), or run it with one JSON request on stdin,
`{"fixture": "put_secure_string", "arguments": {...}}`, and read one JSON answer on stdout. Values
travel on stdin, never in argv: some of them are passwords.
"""
import json
import os
import sys

import boto3

FIXTURE_KEYS = {"aws_access_key_id": "fixture", "aws_secret_access_key": "fixture"}


def endpoint():
    """moto itself (not the proxy): `scripts/lab env` exports it."""
    return os.environ["ADJOIN_LAB_MOTO_ENDPOINT"]


def client(name, region="us-east-1", role=None):
    keys = FIXTURE_KEYS
    if role:
        credentials = assume_role(role, session="fixture")
        keys = {"aws_access_key_id": credentials["accessKeyId"], "aws_secret_access_key": credentials["secretAccessKey"],
                "aws_session_token": credentials["sessionToken"]}
    return boto3.client(name, endpoint_url=endpoint(), region_name=region, **keys)


def assume_role(role, session="instance"):
    """Temporary credentials of `arn:aws:iam::ACCOUNT:role/NAME` from moto's STS."""
    c = client("sts").assume_role(RoleArn=role, RoleSessionName=session)["Credentials"]
    return {"accessKeyId": c["AccessKeyId"], "secretAccessKey": c["SecretAccessKey"], "sessionToken": c["SessionToken"]}


def put_secure_string(name, value, region="us-east-1", role=None, description=None):
    """A SecureString parameter under a KMS key of its own, as the CloudFormation template makes it."""
    options = {"Description": description} if description else {}
    key = client("kms", region, role).create_key(**options)["KeyMetadata"]["KeyId"]
    client("ssm", region, role).put_parameter(Name=name, Value=value, Type="SecureString", KeyId=key, Overwrite=True)


def put_parameter(name, value, type="String", region="us-east-1", role=None):
    """A parameter with the account's default key (String for a pointer, SecureString for a password)."""
    client("ssm", region, role).put_parameter(Name=name, Value=value, Type=type, Overwrite=True)


def create_status_table(name, region="us-east-1", role=None, key="instanceId"):
    """A table keyed by the string `key` (the status table's is instanceId), unless it is there already."""
    ddb = client("dynamodb", region, role)
    if name not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def status_item(table, instance_id, region="us-east-1", role=None):
    """The instance's item, each attribute's value as text (S or N), or None when there is none."""
    item = client("dynamodb", region, role).get_item(TableName=table, Key={"instanceId": {"S": instance_id}}).get("Item")
    return None if item is None else {name: list(value.values())[0] for name, value in item.items()}


def put_item(table, item, region="us-east-1", role=None):
    """An item in DynamoDB's own JSON ({"accountId": {"S": ...}, ...})."""
    client("dynamodb", region, role).put_item(TableName=table, Item=item)


def tag_instance(instance_id, tags, region="us-east-1"):
    client("ec2", region).create_tags(Resources=[instance_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])


def put_secret(name, value, region="us-east-1", role=None):
    """A Secrets Manager secret (replaced if it exists); returns its ARN."""
    secrets = client("secretsmanager", region, role)
    try:
        return secrets.create_secret(Name=name, SecretString=value)["ARN"]
    except secrets.exceptions.ResourceExistsException:
        return secrets.put_secret_value(SecretId=name, SecretString=value)["ARN"]


def lab_settings(**extra):
    """The `adjoin` parameter's settings for the lab's domain and join user, with `extra` laid over them."""
    with open(os.environ["ADJOIN_LAB_JOIN_PASSWORD_FILE"]) as password:
        settings = {"domain": os.environ["ADJOIN_LAB_DOMAIN"], "joinUser": os.environ["ADJOIN_LAB_JOIN_USER"],
                    "joinPassword": password.read().strip(), "organizationalUnit": os.environ["ADJOIN_LAB_OU"]}
    settings.update(extra)
    return settings


FIXTURES = {f.__name__: f for f in (assume_role, put_secure_string, put_parameter, create_status_table, status_item,
                                    put_item, tag_instance, put_secret)}


def main():
    request = json.load(sys.stdin)
    fixture = FIXTURES.get(request.get("fixture"))
    if fixture is None:
        sys.exit("aws_fixtures: no fixture %r (known: %s)" % (request.get("fixture"), ", ".join(sorted(FIXTURES))))
    json.dump(fixture(**request.get("arguments", {})), sys.stdout)
    print()


if __name__ == "__main__":
    main()
