"""A test LMS: its own RSA key, a JWKS, token, score and membership endpoints served by a real
HTTP server on 127.0.0.1 in a thread, recording what the tool sent it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

KID = "test-platform-key"


class PlatformServer:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = JWK.from_pem(self.pem).export_public(as_dict=True)
        self.jwks = {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}
        self.requests: list[dict] = []
        self.members: list[dict] = []
        self.membership_body = None  # an answer to send instead of the membership container
        # What the score and membership endpoints answer: a status, and a delay (a slow LMS).
        self.lineitems: list[dict] = []  # the gradebook columns the tool made
        self.score_status = 200
        self.score_delay_s = 0.0
        self.members_status = 200
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _record(self, body=b""):
                platform.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body.decode(),
                    }
                )

            def _json(self, data, content_type="application/json"):
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                self._record()
                if self.path == "/jwks":
                    self._json(platform.jwks)
                elif self.path.startswith("/lineitems?") or self.path == "/lineitems":
                    self._json(
                        platform.lineitems, "application/vnd.ims.lis.v2.lineitemcontainer+json"
                    )
                elif self.path.startswith("/memberships"):
                    if platform.members_status != 200:
                        self.send_error(platform.members_status)
                        return
                    body = platform.membership_body or {
                        "id": platform.url("/memberships"),
                        "members": platform.members,
                    }
                    self._json(
                        body,
                        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                    )
                else:
                    self.send_error(404)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._record(body)
                if self.path == "/token":
                    self._json(
                        {
                            "access_token": "platform-token",
                            "token_type": "Bearer",
                            "expires_in": 3600,
                        }
                    )
                elif self.path == "/lineitems":
                    item = {**json.loads(body), "id": platform.url("/lineitems/20")}
                    platform.lineitems.append(item)
                    self._json(item, "application/vnd.ims.lis.v2.lineitem+json")
                elif self.path.endswith("/scores"):
                    time.sleep(platform.score_delay_s)
                    if platform.score_status != 200:
                        self.send_error(platform.score_status)
                        return
                    self._json({})
                else:
                    self.send_error(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.issuer = "https://lms.example.test"
        self.client_id = "course-tool-client"
        self.deployment_id = "deployment-1"

    def requests_to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, nonce: str, *, key=None, aud=None, exp_in=300, **claims) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": aud or self.client_id,
            "sub": "lms-user-1",
            "iat": now,
            "exp": now + exp_in,
            "nonce": nonce,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.test",
            "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id": self.deployment_id,
            "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
            "https://purl.imsglobal.org/spec/lti/claim/target_link_uri": "http://testserver/lti/launch/",
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": {
                "id": "link-1",
                "title": "Docker quiz",
            },
            "https://purl.imsglobal.org/spec/lti/claim/roles": [
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
            ],
            "https://purl.imsglobal.org/spec/lti/claim/context": {
                "id": "course-42",
                "title": "Cloud 101",
            },
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"target": "quiz:docker"},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": [
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                ],
                "lineitem": self.url("/lineitems/7"),
                "lineitems": self.url("/lineitems"),
            },
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": self.url("/memberships"),
                "service_versions": ["2.0"],
            },
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.pem, algorithm="RS256", headers={"kid": KID})


def login_step(client, lms):
    response = client.get(
        "/lti/login/",
        {
            "iss": lms.issuer,
            "client_id": lms.client_id,
            "login_hint": "hint-1",
            "target_link_uri": "http://testserver/lti/launch/",
        },
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/auth"
    query = parse_qs(location.query)
    assert query["redirect_uri"] == ["http://testserver/lti/launch/"]
    return query["state"][0], query["nonce"][0]


def launch(client, lms, **claims):
    state, nonce = login_step(client, lms)
    token = lms.id_token(nonce, **claims)
    return client.post("/lti/launch/", {"id_token": token, "state": state}), token, state
