"""scripts/boltwrite.py, the bbolt writer of tests and benches: what it writes, bolt.py reads
back as it was given, from small inline buckets to branch levels and overflow pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import bolt

from . import containerd_store as store
from .conftest import load

boltwrite = load("scripts/boltwrite.py")


def as_tree(bucket: bolt.Bucket) -> dict[bytes, Any]:
    """A read bucket as the nested dict it was written from."""
    return {**bucket.values, **{k: as_tree(b) for k, b in bucket.buckets.items()}}


def page_flags(data: bytes) -> list[int]:
    """The flags of every page header a walk from page 0 meets (overflow pages skipped)."""
    size = bolt.current_meta(data).page_size
    flags, pgid = [], 0
    while pgid * size < len(data):
        _, flag, _, overflow = bolt.PAGE_HEADER.unpack_from(data, pgid * size)
        flags.append(flag)
        pgid += overflow + 1
    return flags


def test_a_nested_tree_reads_back_as_written() -> None:
    tree = {
        b"v1": {
            b"snapshots": {
                b"moby/2/sha256:aa": {b"id": b"\x01", b"kind": b"\x03", b"labels": {b"k": b"v"}},
                b"moby/3/x": {b"id": b"\x02", b"kind": b"\x02", b"parent": b"moby/2/sha256:aa"},
            },
            b"empty": {},
            b"": b"",  # an empty key and value
        },
        "text": {"str keys": "and values"},
    }
    data = boltwrite.dumps(tree)
    assert as_tree(bolt.parse(data)) == {
        b"v1": tree[b"v1"],
        b"text": {b"str keys": b"and values"},
    }
    # two valid metas, txids one apart; the freelist on page 2
    metas = [bolt.read_meta(data, at)[0] for at in (0, 4096)]
    assert [m.txid for m in metas if m] == [2, 3]
    assert page_flags(data)[:3] == [bolt.META, bolt.META, bolt.FREELIST]


def test_ten_thousand_keys_in_one_bucket_make_branch_levels(tmp_path: Path) -> None:
    keys = {f"{n:06d}-".encode() + b"k" * 200: n.to_bytes(4, "little") for n in range(10_000)}
    path = tmp_path / "big.db"
    boltwrite.write(str(path), {b"big": keys, b"small": {b"a": b"1"}})
    read = bolt.load(str(path))
    assert read.buckets[b"big"].values == keys
    assert list(read.buckets[b"big"].values) == sorted(keys)
    branches = page_flags(path.read_bytes()).count(bolt.BRANCH)
    assert branches > 30  # leaves of ~18 keys, branches of ~18 children: three levels


def test_a_value_bigger_than_a_page_gets_overflow_pages() -> None:
    big = bytes(range(256)) * 40  # 10,240 bytes: a leaf of three pages
    data = boltwrite.dumps({b"b": {b"big": big, b"after": b"x"}}, page_size=4096)
    assert as_tree(bolt.parse(data)) == {b"b": {b"after": b"x", b"big": big}}
    overflows = [bolt.PAGE_HEADER.unpack_from(data, n * 4096)[3] for n in range(3, 6)]
    assert 2 in overflows


def test_sequences_and_page_sizes_are_kept() -> None:
    root = bolt.Bucket(buckets={b"s": bolt.Bucket(values={b"k": b"v"}, sequence=133)}, sequence=7)
    read = bolt.parse(boltwrite.dumps(root, page_size=16384))
    assert read == root
    assert bolt.current_meta(boltwrite.dumps(root, page_size=16384)).page_size == 16384


def test_the_real_fixture_rewritten_reads_back_equal() -> None:
    """containerd's own metadata.db (branch pages, overflow, inline and paged buckets)."""
    original = bolt.parse(store.DB)
    rewritten = boltwrite.dumps(original)
    assert bolt.parse(rewritten) == original
    assert boltwrite.dumps(bolt.parse(rewritten)) == rewritten


def test_fnv1a64_agrees_with_the_readers() -> None:
    for data in (b"", b"a", bytes(range(56))):
        assert boltwrite.fnv1a64(data) == bolt.fnv1a64(data)


def test_a_page_size_bbolt_cannot_use_is_refused() -> None:
    with pytest.raises(ValueError, match="page size 1000"):
        boltwrite.dumps({}, page_size=1000)
