"""A read-only reader of bbolt (BoltDB) files, in the standard library alone.

containerd keeps its snapshotters' metadata in bbolt files (``metadata.db``); this reads one
into plain Python objects, without locking it and without writing. The file layout, as in
etcd-io/bbolt ``internal/common/page.go``, ``meta.go`` and ``bucket.go``:

- page 0 and page 1 are meta pages; a meta holds magic 0xED0CDAED, version 2, the page size,
  the root bucket, the freelist page, the high-water page id, the transaction id and an FNV-1a
  64-bit checksum of everything before it. The valid meta with the higher txid is current.
- every page starts with a 16-byte header: id (u64), flags (u16: 1 branch, 2 leaf, 4 meta,
  0x10 freelist), count (u16), overflow (u32: how many pages follow this one in the same run).
- branch elements (16 bytes): pos, ksize (u32), child page id (u64); leaf elements
  (16 bytes): flags (bit 1: a bucket), pos, ksize, vsize (u32). ``pos`` counts from the
  element itself.
- a bucket value is its root page id and sequence (u64, u64); root 0 means an inline bucket,
  whose page follows those 16 bytes in the value itself.

All numbers are little-endian (bbolt writes the host's order; every platform Docker runs on
is little-endian). A file that is not such a database raises ``ValueError`` saying why.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .files import read_bytes

# containerd's metadata database: kilobytes per image and container; read whole, so bounded
MAX_DB = 1 << 30

MAGIC = 0xED0CDAED
VERSION = 2
BRANCH, LEAF, META, FREELIST = 0x01, 0x02, 0x04, 0x10
BUCKET_LEAF = 0x01

PAGE_HEADER = struct.Struct("<QHHI")  # id, flags, count, overflow
# magic, version, page size, flags, root (root page, sequence), freelist, pgid, txid, checksum
META_FIELDS = struct.Struct("<IIIIQQQQQQ")
BRANCH_ELEMENT = struct.Struct("<IIQ")  # pos, ksize, pgid
LEAF_ELEMENT = struct.Struct("<IIII")  # flags, pos, ksize, vsize
BUCKET_HEADER = struct.Struct("<QQ")  # root page, sequence
# the page sizes a meta page 1 is looked for at when meta page 0 is unreadable
PAGE_SIZES = (4096, 8192, 16384, 32768, 65536)
MAX_DEPTH = 64


# NamedTuple and a plain class, not dataclasses: importing dataclasses (inspect, ast, dis, ...)
# costs the reader's every start more than reading a bbolt file.
class Meta(NamedTuple):
    page_size: int
    root: int
    sequence: int
    freelist: int
    high_water: int
    txid: int


class Bucket:
    """One bucket: its plain key/values, its nested buckets and its sequence counter."""

    def __init__(
        self,
        values: dict[bytes, bytes] | None = None,
        buckets: dict[bytes, Bucket] | None = None,
        sequence: int = 0,
    ) -> None:
        self.values: dict[bytes, bytes] = {} if values is None else values
        self.buckets: dict[bytes, Bucket] = {} if buckets is None else buckets
        self.sequence = sequence

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Bucket):
            return NotImplemented
        return (self.values, self.buckets, self.sequence) == (
            other.values,
            other.buckets,
            other.sequence,
        )

    def __repr__(self) -> str:
        return (
            f"Bucket(values={self.values!r}, buckets={self.buckets!r}, sequence={self.sequence!r})"
        )


def fnv1a64(data: bytes) -> int:
    """FNV-1a 64 (Go's hash/fnv New64a), the meta page checksum."""
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def read_meta(data: bytes, offset: int) -> tuple[Meta | None, str]:
    """The meta at ``offset`` (a meta page's start), or None and why it is not valid."""
    end = offset + PAGE_HEADER.size + META_FIELDS.size
    if len(data) < end:
        return None, f"the file ends before a meta page at byte {offset}"
    _unused, flags, _unused, _unused = PAGE_HEADER.unpack_from(data, offset)
    start = offset + PAGE_HEADER.size
    magic, version, page_size, _unused, root, seq, freelist, pgid, txid, checksum = (
        META_FIELDS.unpack_from(data, start)
    )
    if magic != MAGIC:
        return None, f"no bbolt magic at byte {start} (found {magic:#010x})"
    if version != VERSION:
        return None, f"bbolt version {version} at byte {start}, this reader knows {VERSION}"
    if flags != META:
        return None, f"the meta page at byte {offset} has flags {flags:#x}, not meta"
    if fnv1a64(data[start : end - 8]) != checksum:
        return None, f"the meta page at byte {offset} fails its checksum"
    if page_size < 512 or page_size & (page_size - 1):
        return None, f"the meta page at byte {offset} has page size {page_size}"
    return Meta(page_size, root, seq, freelist, pgid, txid), ""


def current_meta(data: bytes) -> Meta:
    """The valid meta page with the higher transaction id, as bbolt picks it."""
    first, why_first = read_meta(data, 0)
    offsets = (first.page_size,) if first else PAGE_SIZES
    second, why_second = None, "no second meta page"
    for offset in offsets:
        second, why_second = read_meta(data, offset)
        if second:
            break
    valid = [m for m in (first, second) if m is not None]
    if not valid:
        raise ValueError(f"not a bbolt database: {why_first}; {why_second}")
    return max(valid, key=lambda m: m.txid)


class BoltReader:
    """The pages of one bbolt file, read as buckets."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.meta = current_meta(data)

    def page(self, pgid: int) -> bytes:
        """Page ``pgid`` with its overflow pages, checked against its own header."""
        size = self.meta.page_size
        if pgid < 2 or pgid >= self.meta.high_water:
            last = self.meta.high_water - 1
            raise ValueError(f"page {pgid} is outside the database (pages 2-{last})")
        offset = pgid * size
        if offset + PAGE_HEADER.size > len(self.data):
            raise ValueError(f"page {pgid} lies past the end of the file ({len(self.data)} bytes)")
        found, flags, _unused, overflow = PAGE_HEADER.unpack_from(self.data, offset)
        if found != pgid:
            raise ValueError(f"page {pgid} says it is page {found}")
        if flags not in (BRANCH, LEAF):
            raise ValueError(f"page {pgid} has flags {flags:#x}, not a branch or leaf page")
        end = offset + (overflow + 1) * size
        if end > len(self.data):
            raise ValueError(f"page {pgid} and its {overflow} overflow pages pass the file's end")
        return self.data[offset:end]

    def bucket(self, value: bytes, depth: int = 0) -> Bucket:
        """The bucket a bucket value describes (its root page, or inline)."""
        if len(value) < BUCKET_HEADER.size:
            raise ValueError(f"a bucket value of {len(value)} bytes is shorter than its header")
        root, sequence = BUCKET_HEADER.unpack_from(value, 0)
        found = Bucket(sequence=sequence)
        if root == 0:
            self.walk(value[BUCKET_HEADER.size :], found, depth + 1, "an inline bucket")
        else:
            self.walk_page(root, found, depth + 1, set())
        return found

    def walk_page(self, pgid: int, into: Bucket, depth: int, seen: set[int]) -> None:
        if pgid in seen:
            raise ValueError(f"page {pgid} is reached twice: the tree has a cycle")
        seen.add(pgid)
        page = self.page(pgid)
        _unused, flags, count, _unused = PAGE_HEADER.unpack_from(page, 0)
        if flags == BRANCH:
            for index in range(count):
                start = PAGE_HEADER.size + index * BRANCH_ELEMENT.size
                _check_room(page, start + BRANCH_ELEMENT.size, f"page {pgid}")
                _unused, _unused, child = BRANCH_ELEMENT.unpack_from(page, start)
                self.walk_page(child, into, depth, seen)
        else:
            self.walk(page, into, depth, f"page {pgid}")

    def walk(self, page: bytes, into: Bucket, depth: int, where: str) -> None:
        """The elements of a leaf page (a whole page, or an inline bucket's) into ``into``."""
        if depth > MAX_DEPTH:
            raise ValueError(f"buckets nested deeper than {MAX_DEPTH} at {where}")
        _check_room(page, PAGE_HEADER.size, where)
        _unused, flags, count, _unused = PAGE_HEADER.unpack_from(page, 0)
        if flags != LEAF:
            raise ValueError(f"{where} has flags {flags:#x}, not a leaf page")
        size = len(page)
        # the elements whose headers lie in the page; one that does not is refused after them
        whole = min(count, (size - PAGE_HEADER.size) // LEAF_ELEMENT.size)
        # their (flags, pos, ksize, vsize) at once: one unpack for the page
        fields = struct.unpack_from(f"<{whole * 4}I", page, PAGE_HEADER.size)
        values, buckets = into.values, into.buckets
        at = PAGE_HEADER.size  # the element's own offset, which pos counts from
        for index in range(0, whole * 4, 4):
            element_flags, pos, ksize, vsize = fields[index : index + 4]
            key_at = at + pos
            value_at = key_at + ksize
            end = value_at + vsize
            if end > size:
                _check_room(page, end, where)
            if element_flags & BUCKET_LEAF:
                buckets[page[key_at:value_at]] = self.bucket(page[value_at:end], depth)
            else:
                values[page[key_at:value_at]] = page[value_at:end]
            at += LEAF_ELEMENT.size
        if whole < count:
            _check_room(page, at + LEAF_ELEMENT.size, where)


def _check_room(page: bytes, end: int, where: str) -> None:
    if end > len(page):
        raise ValueError(f"{where}: an element runs past the page's end ({end} > {len(page)})")


def parse(data: bytes) -> Bucket:
    """The root bucket of a bbolt database held in ``data``; ValueError when it is not one."""
    reader = BoltReader(data)
    root = Bucket(sequence=reader.meta.sequence)
    reader.walk_page(reader.meta.root, root, 0, set())
    return root


def load(path: str) -> Bucket:
    """The root bucket of the bbolt database at ``path`` (read whole, never written)."""
    data = read_bytes(path, limit=MAX_DB)  # a regular file, bounded
    try:
        return parse(data)
    except (ValueError, struct.error) as exc:
        raise ValueError(f"{path}: {exc}") from None
