#!/usr/bin/env python3
"""Local test doubles of the two credential endpoints an admin command can use off an instance.

--mode ecs: the ECS/EKS container credentials endpoint. GET on --path with the header
  Authorization equal to the content of --token-file answers the credentials
  {AccessKeyId, SecretAccessKey, Token, Expiration}; without that header, or with another value,
  401, as the EKS Pod Identity agent and ECS answer; any other path 404.
--mode sso: the IAM Identity Center portal's GetRoleCredentials. GET /federation/credentials
  ?account_id=A&role_name=R with the header x-amz-sso_bearer_token equal to the token in
  --token-file answers {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken,
  expiration (milliseconds)}}; a missing or wrong token 401 (UnauthorizedException), another
  account or role 403 (ForbiddenException).

The credentials are read from --credentials ({"accessKeyId", "secretAccessKey", "sessionToken"}).
Prints the port it listens on (127.0.0.1, chosen by the kernel), then logs one line per request
on stderr: "METHOD PATH STATUS". Nothing secret is logged.
"""
import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["ecs", "sso"], required=True)
    parser.add_argument("--token-file", required=True)
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--path", default="/v2/credentials/adjoin-test")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("--role", default="AdjoinAdmin")
    options = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def answer(self, status, document):
            body = json.dumps(document).encode()
            # Logged before the answer goes out: a client that exits on the answer must find its line.
            sys.stderr.write("%s %s %d\n" % (self.command, urlsplit(self.path).path, status))
            sys.stderr.flush()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            with open(options.token_file) as f:
                token = f.read().strip()
            with open(options.credentials) as f:
                keys = json.load(f)
            expires = time.time() + 3600
            url = urlsplit(self.path)
            if options.mode == "ecs":
                if url.path != options.path:
                    return self.answer(404, {"message": "no such path"})
                if self.headers.get("Authorization") != token:
                    return self.answer(401, {"message": "missing or wrong authorization token"})
                return self.answer(200, {"AccessKeyId": keys["accessKeyId"], "SecretAccessKey": keys["secretAccessKey"],
                                         "Token": keys["sessionToken"],
                                         "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))})
            if url.path != "/federation/credentials":
                return self.answer(404, {"message": "no such path"})
            if self.headers.get("x-amz-sso_bearer_token") != token:
                return self.answer(401, {"message": "Session token not found or invalid"})
            query = parse_qs(url.query)
            if query.get("account_id") != [options.account] or query.get("role_name") != [options.role]:
                return self.answer(403, {"message": "No access"})
            return self.answer(200, {"roleCredentials": {"accessKeyId": keys["accessKeyId"], "secretAccessKey": keys["secretAccessKey"],
                                                         "sessionToken": keys["sessionToken"], "expiration": int(expires * 1000)}})

    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
