"""The Lambda vs Fargate vs EC2 chart at phone and desktop widths: every label inside the
drawing, none over another, all text at least 12 CSS px, and the EC2 line named by its fleet."""

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import DESKTOP, PHONE

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
CASES = {
    "default": "",
    # The case: 50M requests at 1.5 GB, concurrency above 2; markers near the right.
    "busy": "?requests=50M&duration_ms=120&memory_mb=1536&arch=x86_64&storage_mb=512&free_tier=1",
    # The calculator's ceiling: the longest tick labels and the largest costs.
    "huge": "?requests=10000000000000&duration_ms=900000&memory_mb=10240&arch=arm64"
    "&storage_mb=10240&free_tier=0",
    "tiny": "?requests=1000&duration_ms=1&memory_mb=128&arch=arm64&storage_mb=512&free_tier=1",
}

MEASURE = """(svg) => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll("text")].map((t) => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left - box.left, right: box.right - r.right,
            top: r.top - box.top, bottom: box.bottom - r.bottom,
            x0: r.left, x1: r.right, y0: r.top, y1: r.bottom,
            px: parseFloat(getComputedStyle(t).fontSize) * scale};
  });
  return {width: box.width, texts};
}"""


def overlaps(a, b) -> bool:
    return (
        a["x0"] < b["x1"] - 0.5
        and b["x0"] < a["x1"] - 0.5
        and (a["y0"] < b["y1"] - 0.5 and b["y0"] < a["y1"] - 0.5)
    )


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("width", WIDTHS)
def test_chart_labels_are_inside_readable_and_apart(new_page, width, case):
    page = new_page(viewport=WIDTHS[width])
    page.goto("/lessons/lambda/" + CASES[case])
    svg = page.locator("svg.chart").first
    svg.scroll_into_view_if_needed()
    measured = svg.evaluate(MEASURE)
    texts = measured["texts"]
    assert len(texts) >= 8
    for text in texts:
        assert min(text["left"], text["right"], text["top"], text["bottom"]) >= -0.5, text
        assert text["px"] >= 12, text
    for index, first in enumerate(texts):
        for second in texts[index + 1 :]:
            assert not overlaps(first, second), (first["text"], second["text"])
    legend = page.locator(".chart-legend").first
    expect(legend).to_contain_text("EC2 (")
    size = legend.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 12
    print(
        width,
        case,
        f"chart {measured['width']:.0f} px,",
        f"smallest text {min(t['px'] for t in texts):.1f} px",
    )


def test_the_busy_case_names_a_fleet_big_enough(new_page):
    page = new_page(viewport=PHONE)
    page.goto("/lessons/lambda/" + CASES["busy"])
    expect(page.locator(".chart-legend").first).to_contain_text("EC2 (1 × m5.large at your load)")
    expect(page.locator("#pricing-result")).to_contain_text("EC2: $70.08 (1 × m5.large)")
