"""Templates for new test events, in the shapes AWS documents for each source.

API Gateway HTTP API (payload 2.0) and the EventBridge scheduled event are the runner's own
samples (course/runner/web/samples.py); the others follow AWS's sample events (the Lambda
console's templates and the S3, SQS, SNS and REST API developer guides)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from course.runner.web.samples import SAMPLE_EVENTS


@dataclass(frozen=True)
class EventTemplate:
    key: str
    title: str
    event: object

    @property
    def json(self) -> str:
        return json.dumps(self.event, indent=2)


API_GATEWAY_REST_PROXY = {
    "resource": "/orders/{id}",
    "path": "/orders/42",
    "httpMethod": "GET",
    "headers": {
        "Accept": "application/json",
        "Host": "1234567890.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    },
    "multiValueHeaders": {
        "Accept": ["application/json"],
        "Host": ["1234567890.execute-api.us-east-1.amazonaws.com"],
        "User-Agent": ["curl/8.5.0"],
        "X-Forwarded-For": ["203.0.113.7"],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
    },
    "queryStringParameters": {"expand": "items"},
    "multiValueQueryStringParameters": {"expand": ["items"]},
    "pathParameters": {"id": "42"},
    "stageVariables": None,
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "1234567890",
        "resourceId": "abc123",
        "resourcePath": "/orders/{id}",
        "httpMethod": "GET",
        "path": "/prod/orders/42",
        "protocol": "HTTP/1.1",
        "stage": "prod",
        "domainName": "1234567890.execute-api.us-east-1.amazonaws.com",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "requestTime": "25/Nov/2026:10:15:00 +0000",
        "requestTimeEpoch": 1795515300000,
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
    },
    "body": None,
    "isBase64Encoded": False,
}

S3_PUT = {
    "Records": [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2026-11-25T10:15:00.000Z",
            "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
            "requestParameters": {"sourceIPAddress": "203.0.113.7"},
            "responseElements": {
                "x-amz-request-id": "C3D13FE58DE4C810",
                "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "thumbnail-on-upload",
                "bucket": {
                    "name": "photos-upload",
                    "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                    "arn": "arn:aws:s3:::photos-upload",
                },
                "object": {
                    "key": "holiday/beach.jpg",
                    "size": 3145728,
                    "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                    "sequencer": "0A1B2C3D4E5F678901",
                },
            },
        }
    ]
}

SQS_BATCH = {
    "Records": [
        {
            "messageId": message_id,
            "receiptHandle": f"AQEB{message_id[:8]}wJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
            "body": json.dumps({"orderId": order, "action": "ship"}),
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": sent,
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": sent,
            },
            "messageAttributes": {},
            "md5OfBody": md5,
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders-queue",
            "awsRegion": "us-east-1",
        }
        for message_id, order, sent, md5 in [
            (
                "059f36b4-87a3-44ab-83d2-661975830a7d",
                "42",
                "1795515300000",
                "e4e68fb7bd0e697a0ae8f1bb342846b3",
            ),
            (
                "2e1424d4-f796-459a-8184-9c92662be6da",
                "43",
                "1795515301000",
                "0b4a5ff7b4a2c3b4f1e2d9a8c7b6a5f4",
            ),
        ]
    ]
}

SNS = {
    "Records": [
        {
            "EventVersion": "1.0",
            "EventSubscriptionArn": (
                "arn:aws:sns:us-east-1:123456789012:order-events:"
                "2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
            ),
            "EventSource": "aws:sns",
            "Sns": {
                "SignatureVersion": "1",
                "Timestamp": "2026-11-25T10:15:00.000Z",
                "Signature": "tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...65r==",
                "SigningCertUrl": (
                    "https://sns.us-east-1.amazonaws.com/"
                    "SimpleNotificationService-0000000000000000000000.pem"
                ),
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "Message": "Order 42 shipped",
                "MessageAttributes": {
                    "priority": {"Type": "String", "Value": "high"},
                },
                "Type": "Notification",
                "UnsubscribeUrl": (
                    "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                    "arn:aws:sns:us-east-1:123456789012:order-events:"
                    "2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
                ),
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:order-events",
                "Subject": "Order update",
            },
        }
    ]
}

TEMPLATES = {
    template.key: template
    for template in [
        EventTemplate("hello", "Simple JSON", SAMPLE_EVENTS["hello"].event),
        EventTemplate(
            "apigateway-http", "API Gateway HTTP API (payload 2.0)",
            SAMPLE_EVENTS["api-gateway-http"].event,
        ),
        EventTemplate("apigateway-rest", "API Gateway REST API (proxy)", API_GATEWAY_REST_PROXY),
        EventTemplate("s3-put", "S3 put (object created)", S3_PUT),
        EventTemplate(
            "eventbridge-schedule", "EventBridge scheduled event",
            SAMPLE_EVENTS["eventbridge-schedule"].event,
        ),
        EventTemplate("sqs", "SQS batch (two messages)", SQS_BATCH),
        EventTemplate("sns", "SNS notification", SNS),
    ]
}  # fmt: skip
