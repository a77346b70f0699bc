"""Starter functions and sample events for the function runner page.

The events follow the shapes AWS documents (API Gateway HTTP API payload 2.0, EventBridge
scheduled event, S3 ObjectCreated notification); the starters are the notes' use cases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class SampleEvent:
    key: str
    title: str
    event: object

    @property
    def json(self) -> str:
        return json.dumps(self.event, indent=2)


@dataclass(frozen=True)
class Starter:
    key: str
    runtime: str
    title: str
    code: str
    event_key: str


SAMPLE_EVENTS = {
    event.key: event
    for event in [
        SampleEvent("hello", "Simple JSON", {"name": "Ada", "course": "cloud-compute"}),
        SampleEvent(
            "api-gateway-http",
            "API Gateway HTTP API (payload 2.0): GET /hello?name=Ada",
            {
                "version": "2.0",
                "routeKey": "GET /hello",
                "rawPath": "/hello",
                "rawQueryString": "name=Ada",
                "cookies": ["theme=dark"],
                "headers": {
                    "accept": "application/json",
                    "host": "abc123.execute-api.us-east-1.amazonaws.com",
                    "user-agent": "curl/8.5.0",
                },
                "queryStringParameters": {"name": "Ada"},
                "requestContext": {
                    "accountId": "123456789012",
                    "apiId": "abc123",
                    "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                    "http": {
                        "method": "GET",
                        "path": "/hello",
                        "protocol": "HTTP/1.1",
                        "sourceIp": "203.0.113.7",
                        "userAgent": "curl/8.5.0",
                    },
                    "requestId": "JKJaXmPLvHcESHA=",
                    "routeKey": "GET /hello",
                    "stage": "$default",
                    "time": "25/Nov/2026:10:15:00 +0000",
                    "timeEpoch": 1795515300000,
                },
                "body": None,
                "pathParameters": {},
                "isBase64Encoded": False,
            },
        ),
        SampleEvent(
            "eventbridge-schedule",
            "EventBridge scheduled event (rate(1 hour))",
            {
                "version": "0",
                "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": "2026-11-25T10:00:00Z",
                "region": "us-east-1",
                "resources": ["arn:aws:events:us-east-1:123456789012:rule/hourly-cleanup"],
                "detail": {},
            },
        ),
        SampleEvent(
            "s3-object-created",
            "S3 object created (an image upload)",
            {
                "Records": [
                    {
                        "eventVersion": "2.1",
                        "eventSource": "aws:s3",
                        "awsRegion": "us-east-1",
                        "eventTime": "2026-11-25T10:15:00.000Z",
                        "eventName": "ObjectCreated:Put",
                        "s3": {
                            "s3SchemaVersion": "1.0",
                            "bucket": {
                                "name": "photos-upload",
                                "arn": "arn:aws:s3:::photos-upload",
                            },
                            "object": {
                                "key": "holiday/beach.jpg",
                                "size": 3145728,
                                "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                            },
                        },
                        "x-amz-image": {"width": 4032, "height": 3024},
                    }
                ]
            },
        ),
    ]
}

PYTHON_HELLO = """import json


def lambda_handler(event, context):
    name = event.get("name", "world")
    print(f"Hello from {context.function_name} with {context.memory_limit_in_mb} MB")
    print("Time left:", context.get_remaining_time_in_millis(), "ms")
    return {"message": f"Hello, {name}!"}
"""

PYTHON_API = '''import json


def lambda_handler(event, context):
    """Behind API Gateway (HTTP API, payload 2.0): return statusCode, headers and body."""
    method = event["requestContext"]["http"]["method"]
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    print(f"{method} {event['rawPath']} from {event['requestContext']['http']['sourceIp']}")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"greeting": f"Hello, {name}!"}),
    }
'''

PYTHON_CRON = '''from datetime import datetime, timezone


def lambda_handler(event, context):
    """A serverless cron job: EventBridge invokes this every hour (rate(1 hour))."""
    fired_at = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    rule = event["resources"][0].split("/")[-1]
    print(f"Rule {rule} fired at {fired_at:%H:%M} UTC")
    # The real job would clean up old records, send a report, rotate keys...
    removed = [f"session-{n}" for n in range(3)]
    print(f"Removed {len(removed)} expired sessions")
    return {"rule": rule, "removed": len(removed), "ran_at": datetime.now(timezone.utc).isoformat()}
'''

PYTHON_THUMBNAIL = '''def thumbnail_size(width, height, longest=256):
    """Scale the image so its longest side is `longest` pixels, keeping the aspect ratio."""
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def lambda_handler(event, context):
    """Triggered by S3 when an image is uploaded: work out the thumbnail to create."""
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    key = record["s3"]["object"]["key"]
    width, height = record["x-amz-image"]["width"], record["x-amz-image"]["height"]
    thumb_w, thumb_h = thumbnail_size(width, height)
    print(f"s3://{bucket}/{key}: {width}x{height} -> {thumb_w}x{thumb_h}")
    return {
        "source": f"s3://{bucket}/{key}",
        "thumbnail": f"s3://{bucket}-thumbnails/{key}",
        "size": [thumb_w, thumb_h],
    }
'''

NODE_HELLO = """export const handler = async (event, context) => {
  const name = event.name ?? "world";
  console.log(`Hello from ${context.functionName} with ${context.memoryLimitInMB} MB`);
  console.log("Time left:", context.getRemainingTimeInMillis(), "ms");
  return { message: `Hello, ${name}!` };
};
"""

NODE_API = """// Behind API Gateway (HTTP API, payload 2.0): return statusCode, headers and body.
export const handler = async (event) => {
  const { method, sourceIp } = event.requestContext.http;
  const name = event.queryStringParameters?.name ?? "world";
  console.log(`${method} ${event.rawPath} from ${sourceIp}`);
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ greeting: `Hello, ${name}!` }),
  };
};
"""

NODE_CRON = """// A serverless cron job: EventBridge invokes this every hour (rate(1 hour)).
exports.handler = async (event) => {
  const rule = event.resources[0].split("/").pop();
  console.log(`Rule ${rule} fired at ${event.time}`);
  const removed = ["session-0", "session-1", "session-2"];
  console.log(`Removed ${removed.length} expired sessions`);
  return { rule, removed: removed.length, ranAt: new Date().toISOString() };
};
"""

NODE_THUMBNAIL = """// Triggered by S3 when an image is uploaded: work out the thumbnail to create.
const thumbnailSize = (width, height, longest = 256) => {
  const scale = longest / Math.max(width, height);
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
};

export const handler = async (event) => {
  const record = event.Records[0];
  const bucket = record.s3.bucket.name;
  const key = record.s3.object.key;
  const { width, height } = record["x-amz-image"];
  const [w, h] = thumbnailSize(width, height);
  console.log(`s3://${bucket}/${key}: ${width}x${height} -> ${w}x${h}`);
  return {
    source: `s3://${bucket}/${key}`,
    thumbnail: `s3://${bucket}-thumbnails/${key}`,
    size: [w, h],
  };
};
"""

STARTERS = {
    starter.key: starter
    for starter in [
        Starter("python-hello", "python", "Python: hello world", PYTHON_HELLO, "hello"),
        Starter(
            "python-api", "python", "Python: API Gateway handler", PYTHON_API, "api-gateway-http"
        ),
        Starter(
            "python-cron", "python", "Python: hourly cron job", PYTHON_CRON, "eventbridge-schedule"
        ),
        Starter(
            "python-thumbnail",
            "python",
            "Python: thumbnail size",
            PYTHON_THUMBNAIL,
            "s3-object-created",
        ),
        Starter("nodejs-hello", "nodejs", "Node.js: hello world", NODE_HELLO, "hello"),
        Starter(
            "nodejs-api", "nodejs", "Node.js: API Gateway handler", NODE_API, "api-gateway-http"
        ),
        Starter(
            "nodejs-cron", "nodejs", "Node.js: hourly cron job", NODE_CRON, "eventbridge-schedule"
        ),
        Starter(
            "nodejs-thumbnail",
            "nodejs",
            "Node.js: thumbnail size",
            NODE_THUMBNAIL,
            "s3-object-created",
        ),
    ]
}
DEFAULT_STARTER = "python-hello"
