"""Link each glossary term's first use in a lesson to its entry. Pure: no Django.

Runs at sync time on the rendered HTML (requests never parse anything). Text inside headings,
code, existing links, figures (diagrams and their captions), scripts and styles is left alone;
attributes (a diagram's alt text) are never touched. A term is linked once per lesson, at its
first use; when forms overlap ("task definition", "task"), the longest wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

SKIP = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "code",
    "pre",
    "kbd",
    "samp",
    "script",
    "style",
    "figure",
    "figcaption",
    "button",
    "label",
    "textarea",
    "select",
    "option",
}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass(frozen=True)
class GlossaryLink:
    slug: str  # the entry's anchor on the glossary page
    forms: tuple[str, ...]


class _Linker(HTMLParser):
    def __init__(self, links: list[GlossaryLink], url: str):
        super().__init__(convert_charrefs=False)  # keep the text exactly as written
        self.url = url
        self.out: list[str] = []
        self.skip_depth = 0
        self.stack: list[str] = []
        self.by_form = {form.lower(): link for link in links for form in link.forms}
        self.linked: set[str] = set()
        forms = sorted(self.by_form, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<![\w-])(" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.I)
            if forms
            else None
        )

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag not in VOID:
            self.stack.append(tag)
            if tag in SKIP:
                self.skip_depth += 1

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in self.stack:
            while self.stack:
                top = self.stack.pop()
                if top in SKIP:
                    self.skip_depth -= 1
                if top == tag:
                    break

    def handle_data(self, data):
        if self.skip_depth or self.pattern is None:
            self.out.append(data)
            return
        self.out.append(self.pattern.sub(self._link, data))

    def _link(self, match: re.Match) -> str:
        link = self.by_form[match.group(1).lower()]
        if link.slug in self.linked:
            return match.group(0)
        self.linked.add(link.slug)
        href = escape(f"{self.url}#{link.slug}")
        return f'<a class="glossary-link" href="{href}">{match.group(0)}</a>'

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")


def link_terms(html: str, links: Iterable[GlossaryLink], url: str = "/glossary/") -> str:
    parser = _Linker(list(links), url)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)
