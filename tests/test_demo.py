"""``python -m skattn demo`` (what ``make demo`` runs), as a user runs it."""

import re
import subprocess
import sys

import pytest

from synthetic import user_environ
from skattn import _demo
from skattn.__main__ import main


def test_demo_prints_both_accuracies_and_its_time():
    """As a user runs it: with the user's XLA options, not the tests' (conftest.py).
    Its time is printed, not asserted (about 15 s on 2 cores, as the README says)."""
    result = subprocess.run([sys.executable, "-m", "skattn", "demo"],
                            capture_output=True, text=True, timeout=300, env=user_environ())
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "1000 to train, 797 to test" in out
    scores = dict(re.findall(r"^(AttentionNTKClassifier|SVC)\S*.*?\s(0\.\d{3})\s", out, re.M))
    assert set(scores) == {"AttentionNTKClassifier", "SVC"}, out
    assert float(scores["AttentionNTKClassifier"]) > 0.95
    assert float(scores["SVC"]) > 0.95
    assert re.search(r"Total time.*: \d+\.\d s", out)


def test_demo_options(capsys, monkeypatch):
    """The options reach the demo, which runs them (on 300 of the digits, to be quick)."""
    X, y = _demo.digit_sequences()
    monkeypatch.setattr(_demo, "digit_sequences", lambda: (X[:300], y[:300]))
    calls, run = [], _demo.run
    monkeypatch.setattr(_demo, "run", lambda **options: calls.append(options) or run(**options))
    assert main(["demo", "--n-train", "200", "--seed", "1", "--dtype", "float32"]) == 0
    assert calls == [dict(n_train=200, seed=1, dtype="float32")]
    out = capsys.readouterr().out
    assert "200 to train, 100 to test" in out
    assert re.search(r"^AttentionNTKClassifier.*\s0\.\d{3}\s", out, re.M), out


def test_without_a_command_it_says_what_it_can_do(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: python -m skattn" in out
    assert "python -m skattn demo" in out and "AttentionNTKClassifier" in out


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train"])
    assert exc.value.code == 2
