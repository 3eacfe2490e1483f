#!/usr/bin/env python3
"""AWS SigV4 as botocore computes it, for checking the agent's own signer.

As a module: sign(...) returns botocore's canonical request, string to sign and Authorization
header for a request at a fixed time. As a program (the Swift unit tests run it): reads one JSON
object on stdin {method, url, headers: [[name, value]...], body (text), accessKeyId,
secretAccessKey, sessionToken (or null), region, service, amzDate} and prints a JSON object
{canonicalRequest, stringToSign, authorization}.
"""

import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(method, url, headers, body, access_key_id, secret_access_key, session_token, region, service, amz_date):
    """headers: the (name, value) pairs to sign besides X-Amz-Date and the token, which botocore adds."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    auth = SigV4Auth(Credentials(access_key_id, secret_access_key, session_token), service, region)
    # add_auth would take the current time; the steps below are add_auth's, with the time fixed.
    request.context["timestamp"] = amz_date
    auth._modify_request_before_signing(request)
    canonical_request = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical_request)
    signature = auth.signature(string_to_sign, request)
    auth._inject_signature_to_request(request, signature)
    return {
        "canonicalRequest": canonical_request,
        "stringToSign": string_to_sign,
        "authorization": request.headers["Authorization"],
    }


def main():
    spec = json.load(sys.stdin)
    result = sign(spec["method"], spec["url"], spec.get("headers") or [], spec.get("body") or "",
                  spec["accessKeyId"], spec["secretAccessKey"], spec.get("sessionToken"),
                  spec["region"], spec["service"], spec["amzDate"])
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
