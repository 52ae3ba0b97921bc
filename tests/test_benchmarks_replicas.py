"""benchmarks.replicas: the Replicas section compares two replicas with one at saturation
and replaces its earlier version in the report, leaving the other sections alone."""

from __future__ import annotations

from benchmarks import replicas
from benchmarks.sessions import LoadResult


def _figures(replica_count: int, rates: dict[int, int]) -> replicas.ReplicaFigures:
    fig = replicas.ReplicaFigures(replica_count)
    for sessions, loads in rates.items():  # loads in a 10 s window
        fig.loads[sessions] = LoadResult(
            sessions=sessions, seconds=10.0, loads=[0.5] * loads, server_cpu=loads * 0.2
        )
        fig.nginx_cpu[sessions] = 0.01
    return fig


def test_the_section_takes_the_best_rate_of_each_replica_count_as_its_saturation():
    one = _figures(1, {1: 20, 5: 25, 20: 24})  # saturates at 2.5/s
    two = _figures(2, {1: 20, 5: 38, 20: 42})  # 4.2/s = 1.68x
    text = replicas.section([one, two], label="PostgreSQL 1,000", seconds=10, command="x")
    assert "4.20 vs 2.50 page loads/s = 1.68x, **met**" in text
    assert "| 2 | 20 | 42 | 0.50 s | 0.50 s | 4.20 | 200 ms | 0.84 | 0 ms |" in text
    assert "protocol-level client" in text
    slow = _figures(2, {20: 30})
    assert "= 1.20x, **not met**" in replicas.section(
        [one, slow], label="x", seconds=10, command="x"
    )


def test_the_section_replaces_its_earlier_version_and_keeps_the_rest(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(
        "# Benchmarks\n\n## Sessions\nkept\n\n## Replicas\nold figures\n\n## Targets\nkept too\n"
    )
    replicas.write_section(out, "## Replicas\n\nnew figures\n")
    text = out.read_text()
    assert "old figures" not in text and text.count("## Replicas") == 1
    assert "## Sessions\nkept" in text and "## Targets\nkept too" in text and "new figures" in text
    fresh = tmp_path / "new.md"
    replicas.write_section(fresh, "## Replicas\n\nonly\n")
    assert fresh.read_text() == "## Replicas\n\nonly\n"
