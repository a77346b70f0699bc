"""axe-core on every page type, in light and dark (their colours, so their contrast, differ)."""

import pytest
from playwright.sync_api import Page

from tests.e2e.axe import blocking, describe, run_axe
from tests.e2e.pages import PAGE_TYPES, PageType

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=str)
def test_no_serious_or_critical_axe_violations(new_page, visit, page_type: PageType, color_scheme):
    page: Page = new_page(color_scheme=color_scheme)
    visit(page, page_type)

    violations = blocking(run_axe(page))

    assert not violations, (
        f"axe found serious/critical violations on {page_type.name} ({page_type.path}, "
        f"{color_scheme}):\n{describe(violations)}"
    )
