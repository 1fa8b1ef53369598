#!/usr/bin/env python3
"""Checks every link of the built book (scripts/book runs it on docs/book).

A link to another page must name a file of the book, and its `#fragment` an id on that page; a
link to a fragment alone, an id on its own page. A relative link may not leave the book (a
repository file is named in code, or linked by its full URL). Links with a scheme (https:,
mailto:) are not followed. Prints each broken link with its page; exits 1 if there is one.
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# mdBook's own pages, which repeat or stand in for the chapters.
SKIP = {"print.html", "404.html", "toc.html"}


class Page(HTMLParser):
    """The ids a page defines and the links it makes (`href` and `src`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif name in ("href", "src") and tag in ("a", "img"):
                self.links.append(value)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def main(root: Path) -> int:
    root = root.resolve()
    pages = {p: parse(p) for p in sorted(root.rglob("*.html")) if p.name not in SKIP}
    if not pages:
        print(f"no pages under {root}: build the book first", file=sys.stderr)
        return 1
    broken = 0
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            target = path if not parts.path else (path.parent / unquote(parts.path)).resolve()
            problem = None
            if root not in target.parents and target != root:
                problem = "leaves the book"
            elif target.is_dir():
                target = target / "index.html"
            if problem is None and not target.is_file():
                problem = "no such page"
            elif problem is None and parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    problem = "no such heading"
            if problem:
                broken += 1
                print(f"{path.relative_to(root)}: {link}: {problem}", file=sys.stderr)
    print(f"{sum(len(p.links) for p in pages.values())} links on {len(pages)} pages, {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/book")))
