"""A MkDocs hook: typeset the pages' TeX as MathML when the site is built.

``pymdownx.arithmatex`` (generic mode) leaves each formula as TeX in
``<span class="arithmatex">\\(...\\)</span>`` or ``<div class="arithmatex">\\[...\\]</div>``.
This hook replaces each by the MathML of ``latex2mathml``, which browsers render
natively: the built site shows its formulas opened from disk, with no script and
no network. A formula ``latex2mathml`` cannot read fails the build.

Used by ``mkdocs.yml`` only; nothing in the package imports it.
"""

import html
import re

from latex2mathml.converter import convert

FORMULA = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*'
    r'(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])\s*</(?P=tag)>', re.S)


def to_mathml(match):
    """One arithmatex element as MathML (``display="block"`` for displayed formulas)."""
    tex = match["inline"] if match["inline"] is not None else match["block"]
    try:
        mathml = convert(html.unescape(tex).strip(),
                         display="inline" if match["inline"] is not None else "block")
    except Exception as exc:  # latex2mathml raises its own types; name the formula
        raise ValueError(f"cannot typeset the formula {tex!r}: {exc}") from exc
    return f'<{match["tag"]} class="arithmatex">{mathml}</{match["tag"]}>'


def on_page_content(html_text, page, **kwargs):
    return FORMULA.sub(to_mathml, html_text)
