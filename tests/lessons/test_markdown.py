"""The one markdown configuration: every feature lessons rely on."""

import pytest
from django.conf import settings

from course.lessons.markdown import EMBED_MARKER_RE, MarkdownError, render, render_inline


def test_tables_are_wrapped_in_a_labelled_scrollable_region():
    out = render("## EC2 vs Lambda\n\n| A | B |\n|---|---|\n| 1 | 2 |\n").html
    assert (
        '<div aria-label="Table: EC2 vs Lambda" class="table-wrap" role="region" tabindex="0">'
        in out
    )
    assert "<th>A</th>" in out and "<td>2</td>" in out


def test_fenced_code_is_highlighted_by_pygments_and_keyboard_scrollable():
    out = render("```python\ndef lambda_handler(event, context):\n    return 1\n```\n").html
    assert 'class="highlight"' in out
    assert '<span class="k">def</span>' in out
    assert 'tabindex="0"' in out


def test_headings_get_anchors_and_a_table_of_contents():
    rendered = render("## What is Docker?\n\ntext\n\n### Images and containers\n\nmore\n")
    assert '<h2 id="what-is-docker">' in rendered.html
    assert 'class="heading-anchor"' in rendered.html
    assert '<a href="#what-is-docker">What is Docker?</a>' in rendered.toc_html
    assert '<a href="#images-and-containers">' in rendered.toc_html
    assert rendered.headings == [
        {"id": "what-is-docker", "title": "What is Docker?", "level": 2},
        {"id": "images-and-containers", "title": "Images and containers", "level": 3},
    ]


@pytest.mark.parametrize("kind", ["note", "warning", "tip"])
def test_admonitions(kind):
    out = render(f'!!! {kind} "Heads up"\n    The notes get this wrong.\n').html
    assert f'<div class="admonition {kind}">' in out
    assert '<p class="admonition-title">Heads up</p>' in out


def test_a_lone_diagram_becomes_a_figure_with_a_static_url_and_caption():
    out = render('![Three boxes in a row](diagrams/ecs.svg "ECS on EC2")\n').html
    assert '<figure class="diagram">' in out
    assert 'src="/static/diagrams/ecs.svg"' in out
    assert 'alt="Three boxes in a row"' in out
    assert "<figcaption>ECS on EC2</figcaption>" in out
    assert 'loading="lazy"' in out


def test_absolute_image_urls_are_left_alone():
    out = render("![x](https://example.com/a.png)\n", asset_url=lambda p: "/nope/" + p).html
    assert 'src="https://example.com/a.png"' in out


def test_embeds_become_markers_split_by_the_lesson():
    rendered = render("Intro.\n\n[[lambda-pricing]]\n\nOutro.\n")
    assert rendered.embeds == ["lambda-pricing"]
    assert EMBED_MARKER_RE.search(rendered.html).group(1) == "lambda-pricing"


def test_embed_syntax_inside_code_is_just_text():
    rendered = render("```text\n[[not-an-embed]]\n```\n")
    assert rendered.embeds == []


def test_unknown_embed_names_its_line():
    with pytest.raises(MarkdownError) as error:
        render("one\n\ntwo\n\n[[lambda-pricin]]\n")
    assert error.value.line == 5
    assert "unknown embed [[lambda-pricin]]" in error.value.message


def test_reading_time_counts_words():
    assert render("word " * 450).reading_minutes == 3
    assert render("short").reading_minutes == 1


def test_inline_rendering_drops_the_paragraph():
    assert render_inline("Use **Fargate**.") == "Use <strong>Fargate</strong>."


def test_the_generated_code_colours_are_up_to_date():
    """static/css/pygments.css is generated (make pygments-css); site.css is hand-written."""
    from django.core.management import call_command

    call_command("pygments_css", "--check")
    site_css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    assert ".highlight .k " not in site_css
