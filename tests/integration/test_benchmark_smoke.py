# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make test` smoke-runs the benchmark with one task: every figure is printed, nothing is written.

Each figure at its least (a target-path, uri or ping task costs a module run a host and an item): 1 creation in each
loop and in separate tasks (the client-credentials loop still has 2, see bench.py), 2 loop items a per-item figure (its
marginal is the 2-item loop less the 1-item one), 2 tenants in each fan-out, the large fan-out (forks 50) of as many
tenants as the first, so the benchmark takes it from the first (forks 2, all at once too) instead of running it again,
one round, 20 calls of each part timed in process."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from reltio_world import ROOT

_SPEC = importlib.util.spec_from_file_location("bench", str(ROOT / "benchmarks" / "bench.py"))
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)


@pytest.mark.slow
def test_benchmark_prints_every_figure(tmp_path):
    output = tmp_path / "results.md"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--tasks", "1", "--rounds", "1", "--fanout", "2", "--forks", "2",
         "--large-fanout", "2", "--items", "2", "--release-rounds", "1", "--breakdown-calls", "20", "--output", str(output)],
        capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    text = output.read_text()
    assert text in completed.stdout
    for subject in ("controller path", "target path", "ansible.builtin.uri", "ansible.builtin.ping"):
        assert re.search(r"\| [^|]*%s[^|]* \| \d+\.\d{3} \| \d+\.\d{3} \|" % re.escape(subject), text), subject
    for figure in ("1-item loop: module/uri", "1-item loop: module/ping", "1 separate tasks: module/uri",
                   "2-tenant fan-out, forks 2", "client credentials, 2 in a loop", "2-tenant fan-out, forks 50",
                   "net of an empty play: controller path/set_fact (", "net of an empty play: controller path/set_fact of the same arguments"):
        assert re.search(r"%s[^|]*\| -?\d+\.\d\d \|" % re.escape(figure), text), figure
    # The large fan-out (2 tenants, forks 50) is the first (2 tenants, forks 2) taken again, not a run of its own.
    fan_outs = re.findall(r"\| 2-tenant fan-out, forks (\d+): module/ping \((\d+\.\d\d s / \d+\.\d\d s)\) \|", text)
    assert sorted(forks for forks, dummy in fan_outs) == ["2", "50"] and fan_outs[0][1] == fan_outs[1][1], fan_outs
    for part in ("arguments:", "masking:", "with http.client", "through the collection's transport", "the whole task in process"):
        assert re.search(r"\| [^|]*%s[^|]* \| \d+ \|" % re.escape(part), text), part
    assert "over 20 calls against the same emulator" in text

    # The benchmark's own way to get the other tree (git archive of its commit): a clone without it gets the other rows.
    measured = bool(bench.collection_at(str(tmp_path), bench.PREVIOUS_RELEASE[1])[0])
    for shape in ("1-item loop", "1 separate tasks", "2-tenant fan-out, forks 2"):
        row = "controller path, %s: this tree/%s, same run" % (shape, bench.PREVIOUS_RELEASE[0])
        if measured:
            # Both trees ran it: the ratio of their task times is a figure.
            assert re.search(r"%s \(\d+\.\d\d s / \d+\.\d\d s, median of 1 interleaved rounds; quartiles [\d.]+ to [\d.]+\)"
                             r" \| \d+\.\d\d \| <= 1\.10 \|" % re.escape(row), text), text
        else:
            assert re.search(r"%s: not measured \([^)]+\) \| - \|" % re.escape(row), text), text
    if measured:
        assert "Against %s: the controller path's loop, separate tasks and fan-out" % bench.PREVIOUS_RELEASE[0] in text
