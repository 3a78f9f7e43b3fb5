"""The reader's own snapshot of the host is what schema/snapshot.schema.json says it is: the
contract the checks, the reports and the unit tests' synthetic snapshots are held to."""

from __future__ import annotations

from tests import snapshot_schema as contract

from .shared import Snapshot


def test_the_snapshot_is_what_the_schema_says(storage: Snapshot) -> None:
    """Read with usage and layers walked (the ``storage`` fixture): every section the reader
    writes on this host's store. A failure names each place: its path in the snapshot and
    the schema's complaint."""
    found = contract.problems(storage)
    assert not found, contract.report(found)
    assert "usage" in storage
    assert ("overlay2" in storage) != ("containerd" in storage)
