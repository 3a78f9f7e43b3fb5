"""Write bbolt (BoltDB) files from nested dicts: for tests and benches, never shipped to hosts.

``dumps(tree)`` gives the bytes of a valid bbolt database holding ``tree``, a mapping of
bucket names to buckets; a bucket maps keys to values (bytes) or to nested buckets (mappings,
or objects with ``values``, ``buckets`` and ``sequence`` such as ``layerwise_facts.bolt.Bucket``,
which also keep their sequence counter). The file is laid out as bbolt writes one
(etcd-io/bbolt ``internal/common/page.go``, ``meta.go``, ``bucket.go``, ``node.go``):

- pages 0 and 1: meta pages (magic, version 2, page size, root bucket, freelist page, high-water
  page id, txid, FNV-1a 64 checksum), txids ``txid`` and ``txid + 1``;
- page 2: the freelist (empty);
- then each bucket's pages, children before their parents: leaf pages filled to the page size
  (an element too big for one page gets the overflow pages it needs), and branch pages over
  them, level upon level, until one root page is left;
- a bucket without nested buckets whose leaf fits in a quarter page is inline (bbolt's
  ``inlineable``): its value is the bucket header (root 0, sequence) and its leaf page.

Keys are written sorted bytewise, as bbolt keeps them. Standard library only.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, Protocol, Union

MAGIC = 0xED0CDAED
VERSION = 2
BRANCH, LEAF, META, FREELIST = 0x01, 0x02, 0x04, 0x10
BUCKET_LEAF = 0x01
HEADER = struct.Struct("<QHHI")  # page id, flags, count, overflow
META_BODY = struct.Struct("<IIIIQQQQQ")  # magic .. txid: what the checksum covers
LEAF_ELEMENT = struct.Struct("<IIII")  # flags, pos, ksize, vsize
BRANCH_ELEMENT = struct.Struct("<IIQ")  # pos, ksize, child page id
BUCKET_HEADER = struct.Struct("<QQ")  # root page id, sequence
FIRST_DATA_PAGE = 3  # after the two metas and the freelist


class BucketLike(Protocol):
    values: Mapping[bytes, bytes]
    buckets: Mapping[bytes, Any]
    sequence: int


Tree = Mapping[Union[bytes, str], Any]  # values: bytes | str | Tree | BucketLike


def fnv1a64(data: bytes) -> int:
    """FNV-1a 64 (Go's hash/fnv New64a)."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _raw(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def _split(node: Tree | BucketLike) -> tuple[dict[bytes, bytes], dict[bytes, Any], int]:
    """(plain values, nested buckets, sequence) of a dict tree or a Bucket-like object."""
    if hasattr(node, "buckets") and hasattr(node, "values") and not isinstance(node, Mapping):
        return (
            {_raw(k): _raw(v) for k, v in node.values.items()},
            {_raw(k): b for k, b in node.buckets.items()},
            int(node.sequence),
        )
    values: dict[bytes, bytes] = {}
    buckets: dict[bytes, Any] = {}
    for key, value in node.items():
        if isinstance(value, (bytes, bytearray, str)):
            values[_raw(key)] = _raw(value)
        else:
            buckets[_raw(key)] = value
    return values, buckets, 0


def leaf_page(pgid: int, elements: list[tuple[int, bytes, bytes]]) -> bytes:
    """A leaf page (unpadded): header, elements (flags, pos, ksize, vsize), then the data."""
    parts = [HEADER.pack(pgid, LEAF, len(elements), 0)]
    data: list[bytes] = []
    at = HEADER.size + LEAF_ELEMENT.size * len(elements)  # where the data starts
    for index, (flags, key, value) in enumerate(elements):
        pos = at - (HEADER.size + LEAF_ELEMENT.size * index)
        parts.append(LEAF_ELEMENT.pack(flags, pos, len(key), len(value)))
        data += (key, value)
        at += len(key) + len(value)
    return b"".join(parts + data)


def branch_page(pgid: int, children: list[tuple[bytes, int]]) -> bytes:
    """A branch page (unpadded): header, elements (pos, ksize, child), then the keys."""
    parts = [HEADER.pack(pgid, BRANCH, len(children), 0)]
    at = HEADER.size + BRANCH_ELEMENT.size * len(children)
    for index, (key, child) in enumerate(children):
        parts.append(
            BRANCH_ELEMENT.pack(at - HEADER.size - BRANCH_ELEMENT.size * index, len(key), child)
        )
        at += len(key)
    return b"".join(parts + [key for key, _ in children])


class Writer:
    """Pages handed out in order from page 3 on; ``pages`` holds them, each padded."""

    def __init__(self, page_size: int) -> None:
        if page_size < 1024 or page_size & (page_size - 1):
            raise ValueError(f"page size {page_size}: use a power of two of 1024 or more")
        self.page_size = page_size
        self.pages: list[bytes] = []
        self.next = FIRST_DATA_PAGE

    def put(self, build: Any, *args: Any) -> int:
        """Write the page ``build(pgid, *args)`` makes, with its overflow pages; its id."""
        pgid = self.next
        page = build(pgid, *args)
        runs = -(-len(page) // self.page_size)
        if runs > 1:  # the overflow count lives in the header
            page = HEADER.pack(pgid, *HEADER.unpack_from(page)[1:3], runs - 1) + page[HEADER.size :]
        self.pages.append(page.ljust(runs * self.page_size, b"\0"))
        self.next += runs
        return pgid

    def elements(self, node: Tree | BucketLike) -> list[tuple[int, bytes, bytes]]:
        """A bucket's leaf elements, sorted; nested buckets written (or inlined) first."""
        values, buckets, _ = _split(node)
        found = [(0, key, value) for key, value in values.items()]
        found += [(BUCKET_LEAF, key, self.bucket_value(sub)) for key, sub in buckets.items()]
        return sorted(found, key=lambda e: e[1])

    def bucket_value(self, node: Tree | BucketLike) -> bytes:
        """The value naming a nested bucket: its header, then its page when inline."""
        _, buckets, sequence = _split(node)
        elements = self.elements(node)
        size = HEADER.size + sum(LEAF_ELEMENT.size + len(k) + len(v) for _, k, v in elements)
        if not buckets and size <= self.page_size // 4:
            return BUCKET_HEADER.pack(0, sequence) + leaf_page(0, elements)
        return BUCKET_HEADER.pack(self.tree(elements), sequence)

    def tree(self, elements: list[tuple[int, bytes, bytes]]) -> int:
        """Leaf pages over ``elements`` and branch pages over them; the root page's id."""
        level: list[tuple[bytes, int]] = []
        for group in self._groups(elements, lambda e: LEAF_ELEMENT.size + len(e[1]) + len(e[2])):
            level.append((group[0][1] if group else b"", self.put(leaf_page, group)))
        while len(level) > 1:
            groups = self._groups(level, lambda c: BRANCH_ELEMENT.size + len(c[0]))
            level = [(group[0][0], self.put(branch_page, group)) for group in groups]
        return level[0][1]

    def _groups(self, items: list[Any], size: Any) -> list[list[Any]]:
        """``items`` cut into runs that fill a page each (one item at least per run)."""
        groups: list[list[Any]] = [[]]
        used = HEADER.size
        for item in items:
            need = size(item)
            if groups[-1] and used + need > self.page_size:
                groups.append([])
                used = HEADER.size
            groups[-1].append(item)
            used += need
        return groups


def meta_page(pgid: int, page_size: int, root: int, sequence: int, high: int, txid: int) -> bytes:
    body = META_BODY.pack(MAGIC, VERSION, page_size, 0, root, sequence, 2, high, txid)
    page = HEADER.pack(pgid, META, 0, 0) + body + struct.pack("<Q", fnv1a64(body))
    return page.ljust(page_size, b"\0")


def dumps(tree: Tree | BucketLike, page_size: int = 4096, txid: int = 2) -> bytes:
    """The bytes of a bbolt database whose root bucket holds ``tree``."""
    writer = Writer(page_size)
    root = writer.tree(writer.elements(tree))
    _, _, sequence = _split(tree)
    freelist = HEADER.pack(2, FREELIST, 0, 0).ljust(page_size, b"\0")
    metas = [meta_page(n, page_size, root, sequence, writer.next, txid + n) for n in (0, 1)]
    return b"".join([*metas, freelist, *writer.pages])


def write(path: str, tree: Tree | BucketLike, page_size: int = 4096) -> None:
    """Write ``tree`` as a bbolt database at ``path``."""
    with open(path, "wb") as handle:
        handle.write(dumps(tree, page_size))
