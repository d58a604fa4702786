"""Every example runs in its reduced mode and writes its figure, never into docs/.

Each script in ``examples/`` is run from its command line with ``--quick`` (and
``--demo`` for IMDb, which then builds its own synthetic corpus) in an empty
folder: the figure it promises must land there (or in ``--out``), and the
published figures in ``docs/figures/`` must stay as they are. One script
(``FRESH``) runs as a user would, ``python examples/SCRIPT --quick`` in a fresh
interpreter; the others run as ``__main__`` in the test's own process
(``runpy``, with ``sys.argv``, the working folder and the import path a fresh
interpreter would give them), which spares each an interpreter start-up with
its imports and lets them share the kernels' compiled programs.
"""

import hashlib
import importlib
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: script -> (extra arguments, figure written, modules it needs)
CASES = {
    "digits_grid_search.py": ([], "digits_grid_search.png", ["matplotlib"]),
    "time_series_padding.py": ([], "time_series_padding.png", ["matplotlib", "sktime"]),
    "uncertainty_regression.py": ([], "uncertainty_regression.png", ["matplotlib"]),
    "scaling.py": ([], "scaling.png", ["matplotlib"]),
    "imdb_sentiment.py": (["--demo"], "imdb_sentiment_demo.png", ["matplotlib"]),
    "finite_width_convergence.py": ([], "finite_width_convergence.png", ["matplotlib", "aeon"]),
    "finite_training.py": ([], "finite_training.png", ["matplotlib", "aeon"]),
    "sqrt_softmax_monte_carlo.py": ([], "sqrt_softmax_monte_carlo.png", ["matplotlib", "aeon"]),
    "long_series_pooling.py": ([], "long_series_pooling.png", ["matplotlib", "aeon"]),
    "marginal_likelihood_surface.py": ([], "marginal_likelihood_surface.png",
                                       ["matplotlib", "aeon"]),
}


#: The example run in a fresh interpreter (no aeon or sktime: it runs wherever the
#: others can).
FRESH = "uncertainty_regression.py"


def test_every_example_is_tested():
    """Every script but the helper module they share (``_common.py``)."""
    assert sorted(p.name for p in EXAMPLES.glob("[!_]*.py")) == sorted(CASES)


def _published_figures():
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (ROOT / "docs" / "figures").iterdir()}


def _run_in_process(argv, cwd, monkeypatch, capsys):
    """Run ``python examples/SCRIPT ARGS`` as ``__main__`` here; its stdout."""
    import matplotlib.pyplot as plt

    script = EXAMPLES / argv[0]
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", [str(script), *argv[1:]])
    monkeypatch.syspath_prepend(str(EXAMPLES))  # python puts the script's folder first
    capsys.readouterr()
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        plt.close("all")
    return capsys.readouterr().out


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_quick_run_writes_figure(script, tmp_path, monkeypatch, capsys):
    args, figure, modules = CASES[script]
    for module in modules:
        pytest.importorskip(module)
    # the default folder is the current one; IMDb also checks --out
    out = tmp_path / "out" if script == "imdb_sentiment.py" else tmp_path
    if out != tmp_path:
        args = [*args, "--out", str(out)]
    published = _published_figures()
    if script == FRESH:
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / script), "--quick", *args],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        stdout = result.stdout
    else:
        stdout = _run_in_process([script, "--quick", *args], tmp_path, monkeypatch, capsys)
    path = out / figure
    assert path.is_file(), stdout
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"figure: {path.relative_to(tmp_path) if out == tmp_path else path}" in stdout
    assert _published_figures() == published


def _example(name):
    """The example script ``name`` imported as a module, as ``python examples/NAME.py`` would."""
    pytest.importorskip("matplotlib")
    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.mark.parametrize("name", ["scaling", "imdb_sentiment"])
def test_help_shows_the_default_folder(name, capsys):
    with pytest.raises(SystemExit) as stop:
        _example(name).main(["--help"])
    assert stop.value.code == 0
    assert "default: the current folder" in " ".join(capsys.readouterr().out.split())


def test_make_figures_regenerates_every_published_figure():
    makefile = (ROOT / "Makefile").read_text()
    target = makefile[makefile.index("\nfigures:"):]
    for script, (args, figure, _) in CASES.items():
        assert f"examples/{script} {' '.join([*args, '--out docs/figures'])}" in target


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_figure_is_committed_for_the_docs(script):
    _, figure, _ = CASES[script]
    assert (ROOT / "docs" / "figures" / figure).is_file()
    assert f"figures/{figure}" in (ROOT / "docs" / "examples.md").read_text()


def test_imdb_needs_data_or_demo(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        _example("imdb_sentiment").main(["--out", str(tmp_path)])
    assert stop.value.code == 2
    assert "give --data-dir and --glove, or --demo" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_imdb_loaders_read_the_acl_layout(tmp_path):
    """The real-data path: aclImdb folders and a GloVe file, on the demo's files."""
    imdb_sentiment = _example("imdb_sentiment")
    root, glove = imdb_sentiment.write_demo_data(tmp_path, 20)
    assert sorted(p.name for p in (root / "train").iterdir()) == ["neg", "pos"]
    texts, labels = imdb_sentiment.load_imdb(root, "test", n_reviews=10)
    assert len(texts) == 10 and labels.tolist() == [1] * 5 + [0] * 5
    assert not any("<br />" in t for t in texts)
    with pytest.raises(FileNotFoundError, match="aclImdb"):
        imdb_sentiment.load_imdb(tmp_path, "train")
