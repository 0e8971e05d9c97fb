"""docs/python.md runs: its ```python blocks, in order and in one namespace, against a real
nasq-server (NASQ_SERVER points at it), in a scratch folder."""
import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "python.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_walkthrough_runs(server, tmp_path, monkeypatch, capsys):
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 10
    monkeypatch.setenv("NASQ_SERVER", server.address)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for number, block in enumerate(blocks, 1):
        code = compile(block, f"docs/python.md block {number}", "exec")
        exec(code, namespace)  # noqa: S102 - the documentation's own code
    out = capsys.readouterr().out
    assert out.startswith(f"connected to {server.address} as python:")
    assert "\nNOT_FOUND - " in out
    assert "space.params.lr.high: required field is missing" in out
    assert "30 trials; best loss" in out
    assert "2 failed: RuntimeError: diverged at lr=" in out
    assert re.search(r"^told (COMPLETE|PRUNED)$", out, flags=re.M)
    assert "('walkthrough', 'RUNNING')" in out and "\nSTOPPED\n" in out
    assert "worker ran 4 trials: 4 complete" in out
    df = namespace["df"]
    assert list(df.columns[:6]) == ["number", "value", "datetime_start", "datetime_complete",
                                    "duration", "params_lr"]
    assert len(df) == 37   # 30 optimised, 6 fragile, 1 asked and told by hand
    if namespace["plt"] is not None:
        assert (tmp_path / "history.png").stat().st_size > 0
