"""The one markdown configuration used for every lesson and quiz explanation.

Rendering happens once, at `manage.py sync_content`; requests only read the stored HTML.
Features: tables, fenced code with Pygments highlighting, heading anchors with a table of
contents, admonitions, images (relative diagram paths become static URLs, and a lone image
becomes a <figure> with its title as caption), and embeds: a line `[[name]]` becomes a marker
that the lesson template replaces with a live component (calculator, function runner).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from course.common.text import html_to_text

EMBEDS = {
    "lambda-pricing": "Lambda pricing calculator",
    "function-runner": "Lambda function runner",
}
EMBED_LINE_RE = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]\s*$")
EMBED_MARKER_RE = re.compile(r"<!--embed:([a-z0-9-]+)-->")
WORDS_PER_MINUTE = 200


class MarkdownError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Rendered:
    html: str
    toc_html: str
    headings: list[dict] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)
    word_count: int = 0
    takeaways_html: str = ""

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))


def default_asset_url(path: str) -> str:
    return "/static/" + path.lstrip("/")


class EmbedPreprocessor(Preprocessor):
    """Turn `[[name]]` lines into stashed markers; unknown names are content errors."""

    def run(self, lines: list[str]) -> list[str]:
        out = []
        in_fence = False
        for number, line in enumerate(lines, start=1):
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            match = None if in_fence else EMBED_LINE_RE.match(line)
            if not match:
                out.append(line)
                continue
            name = match.group(1)
            if name not in EMBEDS:
                known = ", ".join(f"[[{known}]]" for known in sorted(EMBEDS))
                raise MarkdownError(number, f"unknown embed [[{name}]]; known embeds: {known}")
            self.md.embeds.append(name)
            out.extend(["", self.md.htmlStash.store(f"<!--embed:{name}-->"), ""])
        return out


class FigureAndTableTreeprocessor(Treeprocessor):
    """Resolve diagram URLs, make lone images figures, and let wide tables scroll."""

    def __init__(self, md, asset_url: Callable[[str], str]):
        super().__init__(md)
        self.asset_url = asset_url

    def run(self, root: ET.Element) -> None:
        for img in root.iter("img"):
            src = img.get("src", "")
            if src and not re.match(r"^([a-z]+:|/|#)", src):
                img.set("src", self.asset_url(src))
            img.set("loading", "lazy")
            img.set("decoding", "async")
        # Collect first: replacing while iterating would find each table again in its wrapper.
        targets = [
            (parent, index, child)
            for parent in root.iter()
            for index, child in enumerate(parent)
            if child.tag == "table" or (child.tag == "p" and self._is_lone_image(child))
        ]
        for parent, index, child in targets:
            if child.tag == "p":
                parent[index] = self._figure(child[0])
            else:
                wrapper = ET.Element(
                    "div",
                    {"class": "table-wrap", "tabindex": "0", "role": "region"},
                )
                caption = self._table_label(parent, index)
                wrapper.set("aria-label", caption)
                wrapper.append(child)
                parent[index] = wrapper

    @staticmethod
    def _is_lone_image(p: ET.Element) -> bool:
        return (
            len(p) == 1
            and p[0].tag == "img"
            and not (p.text or "").strip()
            and not (p[0].tail or "").strip()
        )

    @staticmethod
    def _figure(img: ET.Element) -> ET.Element:
        figure = ET.Element("figure", {"class": "diagram"})
        caption_text = img.attrib.pop("title", "")
        img.tail = None
        # The diagram opens full size from a plain link (no JavaScript), and sits in a wrapper
        # that scrolls sideways on a phone, where CSS keeps it wide enough to read.
        scroll = ET.SubElement(figure, "div", {"class": "diagram-scroll"})
        link = ET.SubElement(scroll, "a", {"class": "diagram-link", "href": img.get("src", "")})
        link.append(img)
        if caption_text:
            caption = ET.SubElement(figure, "figcaption")
            caption.text = caption_text
        return figure

    @staticmethod
    def _table_label(parent: ET.Element, index: int) -> str:
        # Name the scrollable region after the nearest heading above the table.
        for sibling in reversed(list(parent)[:index]):
            if sibling.tag in {"h2", "h3", "h4"}:
                text = "".join(sibling.itertext()).strip().rstrip("#").strip()
                return f"Table: {text}"
        return "Table"


class ScrollablePrePostprocessor(Postprocessor):
    """Code blocks may scroll sideways; make them reachable by keyboard."""

    def run(self, text: str) -> str:
        return text.replace("<pre>", '<pre tabindex="0">').replace(
            '<pre class="highlight">', '<pre class="highlight" tabindex="0">'
        )


class CourseExtension(Extension):
    def __init__(self, asset_url: Callable[[str], str], **kwargs):
        self.asset_url = asset_url
        super().__init__(**kwargs)

    def extendMarkdown(self, md) -> None:  # noqa: N802 (Python-Markdown's API name)
        md.embeds = []
        # After normalize_whitespace (30), which would strip the stash placeholder markers.
        md.preprocessors.register(EmbedPreprocessor(md), "course_embeds", 25)
        md.treeprocessors.register(
            FigureAndTableTreeprocessor(md, self.asset_url), "course_figures", 1
        )
        md.postprocessors.register(ScrollablePrePostprocessor(md), "course_pre", 5)


def make_markdown(asset_url: Callable[[str], str] = default_asset_url) -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            "tables",
            "admonition",
            "attr_list",
            "sane_lists",
            "smarty",
            "toc",
            "pymdownx.superfences",
            "pymdownx.highlight",
            "pymdownx.inlinehilite",
            CourseExtension(asset_url=asset_url),
        ],
        extension_configs={
            "toc": {
                "permalink": "#",
                "permalink_class": "heading-anchor",
                "permalink_title": "Link to this section",
                "toc_depth": "2-3",
                "slugify": slugify,
            },
            "pymdownx.highlight": {"use_pygments": True, "css_class": HIGHLIGHT_CLASS},
            "smarty": {"smart_angled_quotes": False},
        },
        output_format="html",
    )


# Code colours: Pygments' 'xcode' (light) and 'lightbulb' (dark), chosen because every token
# colour keeps at least 4.5:1 contrast on the code background (WCAG AA). Only token colours are
# kept: the site's own CSS draws the code block, and the two token backgrounds (deleted and
# inserted diff lines) and the line highlight do not meet the contrast on our background.
HIGHLIGHT_CLASS = "highlight"
CODE_STYLES = {"light": "xcode", "dark": "lightbulb"}
_BACKGROUND = re.compile(r";?\s*background-color:\s*#[0-9a-fA-F]+")


def pygments_css() -> str:
    """static/css/pygments.css, generated: `make pygments-css` writes it."""
    from pygments.formatters import HtmlFormatter

    def rules(style: str) -> list[str]:
        lines = HtmlFormatter(style=style).get_style_defs(f".{HIGHLIGHT_CLASS}").splitlines()
        kept = []
        for line in lines:
            rule = line.split("/*")[0].strip()
            if not rule.startswith(f".{HIGHLIGHT_CLASS} .") or " .hll " in rule:
                continue
            kept.append(_BACKGROUND.sub("", rule))
        return kept

    header = (
        "/* Generated by `make pygments-css` (python manage.py pygments_css) from\n"
        "   course/lessons/markdown.py: do not edit. Pygments styles "
        f"'{CODE_STYLES['light']}' (light) and '{CODE_STYLES['dark']}' (dark). */"
    )
    dark = "\n".join(rules(CODE_STYLES["dark"]))
    return (
        f"{header}\n"
        + "\n".join(rules(CODE_STYLES["light"]))
        + (f"\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n")
    )


def render(text: str, *, asset_url: Callable[[str], str] = default_asset_url) -> Rendered:
    md = make_markdown(asset_url)
    body = md.convert(text)
    headings = list(_flatten(md.toc_tokens))
    return Rendered(
        html=body,
        toc_html=_toc_html(md.toc_tokens),
        headings=headings,
        embeds=list(md.embeds),
        word_count=_count_words(text),
        takeaways_html=extract_section(body, TAKEAWAYS_ID),
    )


TAKEAWAYS_ID = "key-takeaways"


def extract_section(html: str, anchor: str) -> str:
    """The HTML under the h2 with id `anchor`, up to the next h2: stored at sync for the cheat
    sheet, so it is always the lesson's own words."""
    match = re.search(rf'<h2 id="{re.escape(anchor)}"[^>]*>.*?</h2>', html, re.S)
    if not match:
        return ""
    end = html.find("<h2", match.end())
    return html[match.end() : end if end != -1 else len(html)].strip()


def render_inline(text: str) -> str:
    """Short author text (quiz prompts, explanations): markdown without block wrappers."""
    rendered = make_markdown().convert(text)
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return rendered[3:-4]
    return rendered


def _flatten(tokens: list[dict]):
    for token in tokens:
        yield {"id": token["id"], "title": html_to_text(token["name"]), "level": token["level"]}
        yield from _flatten(token["children"])


def _toc_html(tokens: list[dict]) -> str:
    if not tokens:
        return ""
    items = []
    for token in tokens:
        children = _toc_html(token["children"])
        items.append(f'<li><a href="#{token["id"]}">{token["name"]}</a>{children}</li>')
    return "<ol>" + "".join(items) + "</ol>"


def _count_words(text: str) -> int:
    without_code = re.sub(r"```.*?```", " ", text, flags=re.S)
    return len(re.findall(r"[A-Za-z0-9$][\w'.,$-]*", without_code))
