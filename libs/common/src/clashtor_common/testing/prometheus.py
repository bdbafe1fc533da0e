"""Reading a ``/metrics`` answer the way Prometheus does (``prometheus_client.parser``)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = list[tuple[dict[str, str], float]]


def samples(text: str, name: str) -> Samples:
    """``(labels, value)`` of every sample called ``name`` in a Prometheus exposition."""
    return [
        (dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def labelled(rows: Samples, **labels: str) -> list[float]:
    """Values of the samples whose labels include ``labels``."""
    return [v for got, v in rows if all(got.get(k) == want for k, want in labels.items())]


def sample_names(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}
