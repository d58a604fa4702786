"""The documentation site builds with warnings as errors (``make docs``)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-5000:]
    for page in ["index.html", "getting-started/index.html", "user-guide/index.html",
                 "theory/index.html", "examples/index.html", "api/index.html"]:
        assert (site / page).is_file(), page
    api = (site / "api" / "index.html").read_text()
    for name in ["AttentionNNGPRegressor", "AttentionNTKClassifier",
                 "preprocessing.SequencePadder", "text.TokenEmbedder",
                 "kernels.SelfAttention", "kernels.transformer"]:
        assert f'id="skattn.{name}"' in api, name
    examples = (site / "examples" / "index.html").read_text()
    assert examples.count('src="../figures/') == 5
    assert examples.count("ArgumentParser") == 5  # the scripts' sources are included


def test_makefile_docs_target_is_strict():
    makefile = (ROOT / "Makefile").read_text()
    assert "mkdocs build --strict" in makefile
    assert "strict: true" in (ROOT / "mkdocs.yml").read_text()
