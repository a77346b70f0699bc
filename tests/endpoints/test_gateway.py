"""The payload format 2.0 event and the response mapping, against AWS's documented examples
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)."""

from __future__ import annotations

import base64
import json

import pytest

from course.functions.endpoints import gateway

# AWS's example 2.0 event, less what this site has no equivalent for (authorizers, client
# certificates, stage variables); the request below is the one it describes.
AWS_EXAMPLE = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/my/path",
    "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
    "cookies": ["cookie1", "cookie2"],
    "headers": {"header1": "value1", "header2": "value1,value2"},
    "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "api-id",
        "domainName": "id.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "id",
        "http": {
            "method": "POST",
            "path": "/my/path",
            "protocol": "HTTP/1.1",
            "sourceIp": "192.0.2.1",
            "userAgent": "agent",
        },
        "requestId": "id",
        "routeKey": "$default",
        "stage": "$default",
        "time": "12/Mar/2020:19:03:58 +0000",
        "timeEpoch": 1583348638390,
    },
    "body": "Hello from Lambda",
    "pathParameters": {"parameter1": "value1"},
    "isBase64Encoded": False,
}


def aws_request(**overrides) -> gateway.Request:
    values = {
        "method": "POST",
        "raw_path": "/my/path",
        "path": "/my/path",
        "raw_query": "parameter1=value1&parameter1=value2&parameter2=value",
        "headers": [("Header1", "value1"), ("header2", "value1"), ("HEADER2", "value2"),
                 ("Cookie", "cookie1; cookie2"), ("User-Agent", "agent"),
                 ("Content-Type", "text/plain")],
        "body": b"Hello from Lambda",
        "source_ip": "192.0.2.1",
        "domain": "id.execute-api.us-east-1.amazonaws.com",
    }  # fmt: skip
    values.update(overrides)
    return gateway.Request(**values)


def event_for(request: gateway.Request, **overrides) -> dict:
    options = {
        "route_key": "$default", "path_parameters": {"parameter1": "value1"}, "api_id": "api-id",
        "account_id": "123456789012", "request_id": "id", "now": 1583348638.390,
    }  # fmt: skip
    options.update(overrides)
    return gateway.build_event(request, **options)


def test_the_event_is_aws_example():
    event = event_for(aws_request())
    # Headers are lower-cased and repeats comma-joined; the cookie header stays a header too.
    assert event["headers"].pop("cookie") == "cookie1; cookie2"
    assert event["headers"].pop("user-agent") == "agent"
    assert event["headers"].pop("content-type") == "text/plain"
    # AWS's example says "12/Mar/2020" beside a timeEpoch of 4 March: the time follows the epoch.
    assert event["requestContext"].pop("time") == "04/Mar/2020:19:03:58 +0000"
    expected = json.loads(json.dumps(AWS_EXAMPLE))
    del expected["requestContext"]["time"]
    assert event == expected
    assert list(event)[:4] == ["version", "routeKey", "rawPath", "rawQueryString"]


def test_absent_parts_are_left_out():
    event = event_for(
        aws_request(raw_query="", headers=[], body=b"", method="GET"), path_parameters={}
    )
    for absent in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert absent not in event
    assert event["isBase64Encoded"] is False
    assert event["headers"] == {}


def test_site_cookies_are_hidden_from_the_event():
    request = aws_request(headers=[("Cookie", "sessionid=s3cret; theme=dark; csrftoken=t0k")])
    event = event_for(request, hidden_cookies=frozenset({"sessionid", "csrftoken"}))
    assert event["cookies"] == ["theme=dark"]
    assert event["headers"]["cookie"] == "theme=dark"
    only_ours = event_for(
        aws_request(headers=[("Cookie", "sessionid=s3cret")]),
        hidden_cookies=frozenset({"sessionid"}),
    )
    assert "cookies" not in only_ours and "cookie" not in only_ours["headers"]
    assert "s3cret" not in json.dumps(only_ours)


@pytest.mark.parametrize(
    "content_type,body,text",
    [
        ("application/json", b'{"a": 1}', True),
        ("text/html; charset=utf-8", "é".encode(), True),
        ("application/vnd.api+json", b"{}", True),
        ("application/octet-stream", b"\x00\xff\x10", False),
        ("image/png", b"\x89PNG\r\n", False),
        ("text/plain", b"\xff\xfe not utf-8", False),
        ("", b"abc", False),
    ],
)
def test_binary_bodies_are_base64(content_type, body, text):
    headers = [("Content-Type", content_type)] if content_type else []
    event = event_for(aws_request(headers=headers, body=body))
    assert event["isBase64Encoded"] is (not text)
    if text:
        assert event["body"] == body.decode()
    else:
        assert base64.b64decode(event["body"]) == body


def test_time_is_in_aws_format():
    assert gateway.aws_time(1584039838.390) == "12/Mar/2020:19:03:58 +0000"
    assert gateway.aws_time(0) == "01/Jan/1970:00:00:00 +0000"


def mapped(result):
    return gateway.map_result(result, json.dumps(result).encode())


def test_a_result_without_status_code_is_a_json_body():
    # AWS: isBase64Encoded false, statusCode 200, content-type application/json, the body
    # is the function's response.
    answer = mapped({"message": "Hello from Lambda!"})
    assert (answer.status, answer.headers) == (200, {"content-type": "application/json"})
    assert json.loads(answer.body) == {"message": "Hello from Lambda!"}
    assert mapped("Hello from Lambda!").body == b"Hello from Lambda!"
    assert mapped([1, 2]).body == b"[1, 2]"
    assert mapped(None).body == b"null"


def test_a_full_response():
    answer = mapped(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain", "X-Count": 3, "X-Ok": True},
            "cookies": ["a=1; Path=/; HttpOnly", "b=2"],
            "body": "made",
            "isBase64Encoded": False,
        }
    )
    assert answer.status == 201
    assert answer.headers == {"content-type": "text/plain", "x-count": "3", "x-ok": "true"}
    assert answer.cookies == ["a=1; Path=/; HttpOnly", "b=2"]
    assert answer.body == b"made"


def test_binary_response_bodies_are_decoded():
    png = b"\x89PNG\r\n\x1a\n\x00"
    answer = mapped(
        {"statusCode": 200, "headers": {"content-type": "image/png"},
         "body": base64.b64encode(png).decode(), "isBase64Encoded": True}
    )  # fmt: skip
    assert answer.body == png


def test_defaults_when_status_code_is_given():
    answer = mapped({"statusCode": 204})
    assert (answer.status, answer.body, answer.cookies) == (204, b"", [])
    assert answer.headers == {"content-type": "application/json"}
    assert mapped({"statusCode": "404", "body": {"x": 1}}).body == b'{"x": 1}'


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 99},
        {"statusCode": 600},
        {"statusCode": True},
        {"statusCode": "abc"},
        {"statusCode": 200, "headers": []},
        {"statusCode": 200, "headers": {"bad name": "x"}},
        {"statusCode": 200, "headers": {"x": "a\r\nSet-Cookie: evil=1"}},
        {"statusCode": 200, "headers": {"x": {"nested": 1}}},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "cookies": [1]},
        {"statusCode": 200, "body": "!!!", "isBase64Encoded": True},
    ],
)
def test_results_api_gateway_cannot_map(result):
    with pytest.raises(gateway.BadResult):
        mapped(result)


def test_dangerous_headers_are_dropped():
    headers = dict.fromkeys(gateway.REFUSED_HEADERS, "x")
    answer = mapped({"statusCode": 200, "headers": {**headers, "Access-Control-Allow-Origin": "*"}})
    assert answer.headers == {
        "access-control-allow-origin": "*",
        "content-type": "application/json",
    }


def test_set_cookie_parsing():
    cookie = gateway.parse_set_cookie("id=42; Path=/; Domain=evil.example; Max-Age=60; Secure")
    assert (cookie.name, cookie.value) == ("id", "42")
    assert cookie.attributes == {"max-age": "60", "secure": True}
    assert gateway.parse_set_cookie("no-equals-sign") is None
    assert gateway.parse_set_cookie("bad name=1") is None
    assert gateway.parse_set_cookie("a=1\r\nX: y") is None
