"""The sample images as any image store holds them: the classic four-instruction pattern."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.samples
def test_sample_image_is_its_base_plus_two_layers(
    sample: dict[str, Any], base: dict[str, Any]
) -> None:
    """COPY and RUN add a layer each; CMD adds none."""
    assert len(sample["diff_ids"]) == len(base["diff_ids"]) + 2
    assert sample["diff_ids"][: len(base["diff_ids"])] == base["diff_ids"]


@pytest.mark.samples
def test_sample_image_has_a_history_entry_per_instruction(
    sample: dict[str, Any], base: dict[str, Any]
) -> None:
    history = sample["history"]
    assert len(history) == len(base["history"]) + 3
    copy, run, cmd = history[-3:]
    assert "COPY" in copy["created_by"]
    assert "/app" in copy["created_by"]
    assert "make /app" in run["created_by"]
    assert "python /app/app.py" in cmd["created_by"]
    assert [copy["empty_layer"], run["empty_layer"], cmd["empty_layer"]] == [False, False, True]
