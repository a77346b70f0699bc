"""The pricing calculator: JSON API, page, htmx fragment, no-JS GET, lesson embed and chart."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from course.calculator.chart import build_chart
from course.calculator.state import calculate
from course.pricing import LambdaInputs

API = "/api/pricing/lambda"
PAGE = "/tools/lambda-pricing/"
AWS_EXAMPLE = (
    "requests=3000000&duration_ms=120&memory_mb=1536&arch=x86_64&storage_mb=512&free_tier=1"
)


def api(client, query):
    response = client.get(f"{API}?{query}")
    return response.status_code, json.loads(response.content)


# --- JSON API -------------------------------------------------------------------------------


def test_api_matches_aws_example_to_the_cent(client):
    status, body = api(client, AWS_EXAMPLE)
    assert status == 200
    assert body["total_usd"] == 2.73
    assert body["compute_usd"] == 2.33 and body["request_usd"] == 0.40
    assert body["total_gb_seconds"] == 540000 and body["billable_gb_seconds"] == 140000
    assert body["inputs"] == {
        "requests": 3000000,
        "duration_ms": 120,
        "memory_mb": 1536,
        "arch": "x86_64",
        "storage_mb": 512,
        "free_tier": True,
    }
    assert body["prices_as_of"] == "2025-10-01"
    assert body["tiers"][0]["price_per_gb_second"] == "0.0000166667"


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("requests=6000000&duration_ms=280&memory_mb=4096&storage_mb=2048", 106.41),
        ("requests=60000000&duration_ms=28&memory_mb=1024&free_tier=0", 40.00),
    ],
)
def test_api_more_aws_examples(client, query, total):
    status, body = api(client, query)
    assert status == 200
    assert body["total_usd"] == total


def test_api_defaults(client):
    status, body = api(client, "requests=3M&duration_ms=120&memory_mb=1536")
    assert status == 200
    assert body["inputs"]["arch"] == "x86_64"
    assert body["inputs"]["storage_mb"] == 512
    assert body["inputs"]["free_tier"] is True
    assert body["total_usd"] == 2.73


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("memory_mb", "64", "Lambda memory is 128-10,240 MB"),
        ("memory_mb", "20000", "Lambda memory is 128-10,240 MB"),
        ("memory_mb", "lots", "memory"),
        ("duration_ms", "-5", "greater than 0"),
        ("duration_ms", "1000000", "900,000"),
        ("requests", "three", "3.2M"),
        ("requests", "-1", "requests"),
        ("arch", "sparc", "Architecture is x86_64 or arm64"),
        ("storage_mb", "100", "Ephemeral storage is 512-10,240 MB"),
        ("free_tier", "maybe", "Free tier"),
    ],
)
def test_api_names_each_bad_parameter(client, param, value, message):
    params = {"requests": "1000", "duration_ms": "100", "memory_mb": "128", param: value}
    status, body = api(client, "&".join(f"{k}={v}" for k, v in params.items()))
    assert status == 400
    assert list(body["errors"]) == [param]
    assert message.lower() in body["errors"][param].lower()


def test_api_reports_every_bad_parameter_at_once(client):
    status, body = api(client, "memory_mb=64&arch=z&storage_mb=1")
    assert status == 400
    assert set(body["errors"]) == {"requests", "duration_ms", "memory_mb", "arch", "storage_mb"}


@pytest.mark.parametrize(
    "query",
    ["requests=1e999&duration_ms=nan&memory_mb=inf", "requests=" + "9" * 5000, "memory_mb=%00"],
)
def test_api_never_500s(client, query):
    status, body = api(client, query)
    assert status == 400
    assert "errors" in body


def test_api_rejects_post(client):
    assert client.post(API).status_code == 405


# --- Page, fragment, no-JS ------------------------------------------------------------------


def test_page_renders_defaults_with_result_and_chart(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "calculator/lambda_pricing.html" in [t.name for t in response.templates]
    assert 'name="requests" value="3,000,000"' in html
    assert "Estimated monthly cost" in html
    assert "<svg" in html and 'role="img"' in html
    assert "as of 1 October 2025" in html
    assert "https://aws.amazon.com/lambda/pricing/" in html


def test_no_js_get_renders_the_same_numbers_as_the_api(client):
    html = client.get(f"{PAGE}?{AWS_EXAMPLE}").content.decode()
    assert '<strong data-testid="total">$2.73</strong>' in html
    assert "3,000,000 × 0.120 s × 1.5 GB = 540,000 GB-s" in html
    assert "540,000 − 400,000 free = 140,000 GB-s" in html
    assert "140,000 GB-s × $0.0000166667 = $2.33" in html


def test_htmx_gets_the_fragment_with_vary_and_push_url(client):
    response = client.get(f"{PAGE}?{AWS_EXAMPLE}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="pricing-result"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    assert response["HX-Push-Url"] == f"{PAGE}?{AWS_EXAMPLE}#lambda-calculator"
    full = client.get(f"{PAGE}?{AWS_EXAMPLE}")
    assert "HX-Request" in full["Vary"]


def test_htmx_from_the_lesson_pushes_the_lesson_url(client, db):
    response = client.get(
        f"{PAGE}?{AWS_EXAMPLE}",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/lessons/lambda/"},
    )
    # With the calculator's fragment: a shared link opens at the calculator, not the lesson's top.
    assert response["HX-Push-Url"] == f"/lessons/lambda/?{AWS_EXAMPLE}#lambda-calculator"
    html = response.content.decode()
    share = f'value="http://testserver/lessons/lambda/?{AWS_EXAMPLE}#lambda-calculator"'
    assert share.replace("&", "&amp;") in html and 'hx-swap-oob="true"' in html


def test_htmx_push_url_ignores_other_sites(client):
    response = client.get(
        f"{PAGE}?{AWS_EXAMPLE}",
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/lessons/lambda/"},
    )
    assert response["HX-Push-Url"].startswith(PAGE)


def test_bad_input_shows_inline_errors_and_keeps_what_was_typed(client):
    html = client.get(f"{PAGE}?requests=lots&duration_ms=120&memory_mb=64").content.decode()
    assert 'value="lots"' in html and 'value="64"' in html
    error = '<ul class="field-errors" id="calc-memory_mb_error"><li>Lambda memory is 128-10,240'
    assert error in html
    assert 'aria-invalid="true"' in html
    assert "Fix the fields marked with an error" in html


def test_htmx_bad_input_updates_errors_out_of_band(client):
    html = client.get(
        f"{PAGE}?requests=1M&duration_ms=120&memory_mb=64", headers={"HX-Request": "true"}
    ).content.decode()
    assert (
        '<ul class="field-errors" id="calc-memory_mb_error" hx-swap-oob="true">'
        "<li>Lambda memory is 128-10,240 MB</li></ul>"
    ) in html
    assert '<ul class="field-errors" id="calc-requests_error" hx-swap-oob="true"></ul>' in html


def test_free_tier_checkbox_off_is_respected(client):
    on = client.get(f"{PAGE}?requests=1M&duration_ms=100&memory_mb=128&free_tier=0&free_tier=1")
    off = client.get(f"{PAGE}?requests=1M&duration_ms=100&memory_mb=128&free_tier=0")
    assert '<strong data-testid="total">$0.00</strong>' in on.content.decode()
    assert "No free tier" in off.content.decode()


def test_page_rejects_post(client):
    assert client.post(PAGE).status_code == 405


# --- Lesson embed ---------------------------------------------------------------------------


def test_calculator_is_embedded_in_the_lambda_lesson(client, db):
    html = client.get("/lessons/lambda/").content.decode()
    assert 'id="lambda-calculator"' in html
    assert 'hx-get="/tools/lambda-pricing/"' in html
    assert 'action="/lessons/lambda/#lambda-calculator"' in html


def test_lesson_embed_prefills_from_the_query_string(client, db):
    html = client.get(f"/lessons/lambda/?{AWS_EXAMPLE}").content.decode()
    assert 'name="memory_mb" value="1536"' in html
    assert '<strong data-testid="total">$2.73</strong>' in html


# --- Chart ----------------------------------------------------------------------------------


def chart_svg(client, query=AWS_EXAMPLE) -> ET.Element:
    html = client.get(f"{PAGE}?{query}").content.decode()
    svg = re.search(r"<svg viewBox.*?</svg>", html, re.S).group(0)
    return ET.fromstring(svg)


def test_chart_svg_is_well_formed_and_accessible(client):
    svg = chart_svg(client)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "cost-chart-title cost-chart-desc"
    assert svg.find("title").text == "Monthly cost: Lambda vs Fargate vs EC2"
    assert "Lambda becomes as expensive as EC2 at about 24,045,793" in svg.find("desc").text
    assert "(1 × m5.large at yours)" in svg.find("desc").text
    classes = [line.get("class") for line in svg.iter("polyline")]
    assert classes == [
        "chart-line chart-line-lambda",
        "chart-line chart-line-fargate",
        "chart-line chart-line-ec2",
    ]


def test_chart_has_a_data_table_alternative(client):
    html = client.get(f"{PAGE}?{AWS_EXAMPLE}").content.decode()
    assert "Chart data as a table" in html
    assert '<th scope="row">3,000,000 (yours)</th>' in html


def test_chart_marks_break_even_consistently_with_the_model():
    inputs = LambdaInputs(requests=3_000_000, duration_ms=120, memory_mb=1536)
    chart = build_chart(inputs)
    keys = [marker.key for marker in chart.markers]
    assert keys[0] == "current"
    assert "ec2" in keys
    xs = [marker.x for marker in chart.markers]
    assert all(chart.plot_left <= x <= chart.plot_right for x in xs)
    ys = [float(pair.split(",")[1]) for pair in chart.series[0].points.split()]
    assert ys == sorted(ys, reverse=True)  # Lambda's cost never falls as requests grow


def test_calculation_is_cheap():
    calculation = calculate({"requests": "3M", "duration_ms": "120", "memory_mb": "1024"})
    assert calculation.breakdown.billed_duration_ms == 120
    assert calculation.chart is not None


def test_the_ec2_alternative_is_sized_to_the_load(client):
    # 50M requests of 120 ms at 1.5 GB: 2.28 requests in flight on average, 1.98 vCPU busy. One
    # t3.micro "assumed big enough" was $7.59; the load needs an m5.large.
    html = client.get(f"{PAGE}?requests=50M&duration_ms=120&memory_mb=1536").content.decode()
    assert "<strong>EC2: $70.08</strong> (1 × m5.large)" in html
    assert "4,608 MB for 3 in flight and 1.98 vCPU busy" in html
