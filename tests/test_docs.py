"""The documentation site builds with warnings as errors (``make docs``) and reads offline.

One build (``--strict``) is shared by the tests below: the site must open from disk
(menu links are files, no script or font from the network, the search index a
script) and show its formulas typeset (MathML written at build time) rather than
as TeX.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["index.html", "getting-started.html", "user-guide.html", "theory.html",
         "dask.html", "examples.html", "api.html"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("latex2mathml")
    site = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return site


def test_docs_build_strict(site):
    for page in PAGES:
        assert (site / page).is_file(), page
    api = (site / "api.html").read_text()
    for name in ["AttentionNNGPRegressor", "AttentionNTKClassifier",
                 "preprocessing.SequencePadder", "text.TokenEmbedder",
                 "kernels.SelfAttention", "kernels.transformer"]:
        assert f'id="skattn.{name}"' in api, name
    examples = (site / "examples.html").read_text()
    assert examples.count('src="figures/') == 10
    # the scripts' sources are included, and the module of what they share
    code = re.sub(r"<[^>]+>", "", examples)
    assert code.count("example_parser(__doc__") == 10
    assert "def save_figure(fig, out, name" in code


def test_site_opens_from_disk_without_network(site):
    for page in PAGES:
        html = (site / page).read_text()
        links = re.findall(r'(?:href|src)="([^"]*)"', html)
        local = [link.split("#")[0] for link in links
                 if not re.match(r"(https?:|mailto:|data:|#)", link)]
        assert local, page
        for link in local:
            assert link and not link.endswith("/"), f"{page}: {link!r} opens a folder"
            assert (site / page).parent.joinpath(link).is_file(), f"{page}: {link} missing"
        external = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="((?:https?:)?//[^"]*)"',
                              html)
        assert external == [], f"{page} loads {external}"
    # the search index as a script, which a page from file:// may load (offline plugin)
    assert (site / "search" / "search_index.js").read_text().startswith("var __index = ")


def test_formulas_are_typeset_at_build_time(site):
    theory = (site / "theory.html").read_text()
    assert theory.count("<math ") > 100
    assert theory.count('display="block"') >= 15  # the displayed equations
    assert "<merror" not in theory
    for page in PAGES:
        text = re.sub(r"<(code|pre)\b.*?</\1>", "", (site / page).read_text(), flags=re.S)
        assert not re.search(r"\\\(|\\\[|\$\$|\\frac", text), f"{page} shows raw TeX"


def test_api_page_has_an_entry_per_parameter_and_no_private_base(site):
    from skattn import (AttentionNNGPClassifier, AttentionNNGPRegressor,
                        AttentionNTKClassifier, AttentionNTKRegressor)

    api = (site / "api.html").read_text()
    assert "_Attention" not in api
    for cls in [AttentionNNGPRegressor, AttentionNTKRegressor, AttentionNNGPClassifier,
                AttentionNTKClassifier]:
        start = api.index(f'id="skattn.{cls.__name__}"')
        section = api[start:api.index('doc-section-title">Attributes', start)]
        names = re.findall(r"<tr class=\"doc-section-item\">\s*<td>\s*<code>(\w+)</code>",
                           section)
        assert sorted(names) == sorted(cls().get_params()), cls.__name__


def test_makefile_docs_target_is_strict():
    makefile = (ROOT / "Makefile").read_text()
    assert "mkdocs build --strict" in makefile
    assert "strict: true" in (ROOT / "mkdocs.yml").read_text()
