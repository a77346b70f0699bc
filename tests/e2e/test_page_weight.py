"""Page weight: each page's HTML + CSS + JS, compressed, is at most 60 KB. Diagrams don't count."""

import gzip

import pytest
from playwright.sync_api import Page, Response

from tests.e2e.pages import BUDGET_PAGES, PageType

pytestmark = pytest.mark.e2e

BUDGET_BYTES = 60 * 1024
COUNTED_TYPES = ("text/html", "text/css", "javascript")  # javascript: text/ or application/


def counted(response: Response) -> bool:
    if 300 <= response.status < 400:
        return False  # a redirect has no body; what it points to is counted when it arrives
    content_type = response.headers.get("content-type", "")
    return any(kind in content_type for kind in COUNTED_TYPES)


def compressed_size(body: bytes) -> int:
    # The browser's own transfer size is the uncompressed size here: live_server (Django's static
    # handler) does not compress, while production (WhiteNoise) serves gzip/brotli. So the budget
    # is checked against each body gzipped at level 6, a typical server setting; brotli does better.
    return len(gzip.compress(body, compresslevel=6, mtime=0))


@pytest.mark.parametrize("page_type", BUDGET_PAGES, ids=str)
def test_html_css_and_js_fit_the_page_weight_budget(page: Page, visit, page_type: PageType):
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))

    visit(page, page_type)
    # Wait for anything the page fetches by itself after load (htmx fragments) to arrive too.
    page.wait_for_load_state("networkidle")

    rows = []
    for response in responses:
        if counted(response):
            body = response.body()
            rows.append((compressed_size(body), len(body), response.url))
    total = sum(size for size, _, _ in rows)
    breakdown = "\n".join(
        f"  {size / 1024:6.1f} KB gzipped ({raw / 1024:6.1f} KB raw)  {url}"
        for size, raw, url in sorted(rows, reverse=True)
    )

    assert any("text/html" in r.headers.get("content-type", "") for r in responses)
    assert total <= BUDGET_BYTES, (
        f"{page_type.path} weighs {total / 1024:.1f} KB of compressed HTML + CSS + JS, over the "
        f"{BUDGET_BYTES // 1024} KB budget:\n{breakdown}"
    )
