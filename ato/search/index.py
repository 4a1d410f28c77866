"""The Whoosh index: derived data, always rebuildable from the database.

Layout (in the instance folder)::

    search/current -> gen-<timestamp>   symlink swapped atomically by a rebuild
    search/gen-<timestamp>/             one complete Whoosh index
    search/gen-<timestamp>/position.json  this index's position in the database's change log
    search/.rebuild.lock                so that only one process rebuilds at a time
    search/.catchup.lock                so that only one process of the host catches up at a time

Each process (gunicorn worker) keeps one searcher per thread and reopens it —
never ``refresh()``, which keeps stale segments in whoosh-reloaded 2.7.5 — as
soon as the index has a newer generation or the symlink points elsewhere. The
per-document facet data are loaded from a column once per generation.

Writers wait for the lock up to ``lock_timeout`` seconds (a plain writer fails
at once under contention; ``AsyncWriter`` silently drops its update when the
process dies). A failed write leaves the change pending in the database.
"""

from __future__ import annotations

import fcntl
import heapq
import json
import logging
import os
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from whoosh import columns, fields, formats, index
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from ato.search.analysis import french_analyzer, pairs_analyzer, weighted_analyzer
from ato.search.documents import Facets

log = logging.getLogger(__name__)

POSITION_FILE = "position.json"
TERM_CACHE_SIZE = 512


class IndexUnavailable(RuntimeError):
    """The index is missing, corrupt or locked; the caller falls back to SQL."""


@dataclass
class Position:
    """Where an index stands in the change log: every change up to ``last`` is applied,
    and so are the later ones listed in ``applied`` (see ``sync.catch_up``)."""

    last: int = 0
    applied: frozenset[int] = frozenset()


def make_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        requis=fields.ID,
        spec=fields.ID,  # main specialty slug
        specs=fields.KEYWORD,  # main specialty and thématiques
        situe=fields.ID,  # département where the requis is
        accepte=fields.KEYWORD,  # départements it accepts requests from by name
        # Scored with BM25F.
        # Names, specialty labels and synonyms weigh 3, description and place 1, who may ask
        # and what to attach 0.3 (analysis.weighted_text).
        tout=fields.TEXT(weighted_analyzer(), phrase=False),
        ville=fields.ID,  # the town, as analysis.town_key gives it
        # Pairs of consecutive stems of names and descriptions: the phrase bonus.
        paires=fields.TEXT(pairs_analyzer(), phrase=False),
        # Unstemmed words: the vocabulary of "Vouliez-vous dire".
        mots=fields.FieldType(formats.Existence(), french_analyzer(stemmed=False), scorable=False),
        facets=fields.COLUMN(columns.PickleColumn(columns.VarBytesColumn())),
    )


def to_bits(docnums: Iterable[int], size: int) -> int:
    """A set of document numbers as a Python int bitset (bit d set for docnum d)."""
    buffer = bytearray((size + 7) // 8)
    for d in docnums:
        buffer[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buffer, "little")


@dataclass
class _SegmentFacets:
    """Facet data of one Whoosh segment, by local docnum (deletions applied later).

    Segments never change once written, so this is computed once per segment
    and process: after an update, only the new small segment is read.
    """

    rows: list[Facets]
    members: dict[str, dict[str, int]]  # dimension -> value -> local bitset
    by_name: list[tuple[str, int, int]]  # (sort name, service id, local docnum)
    closures: list[tuple[int, int, int]]  # (local docnum, first day, last day or 0)

    @classmethod
    def load(cls, segreader) -> _SegmentFacets:  # noqa: ANN001
        size = segreader.doc_count_all()
        column = segreader.column_reader("facets")
        rows = [Facets(*column[n]) for n in range(size)]
        lists: dict[str, dict[str, list[int]]] = {
            d: defaultdict(list) for d in FacetTable.DIMENSIONS
        }
        for docnum, f in enumerate(rows):
            for code in f.accepts:
                lists["accepte"][code].append(docnum)
            lists["situe"][f.located].append(docnum)
            for slug in f.specialites:
                lists["specialite"][slug].append(docnum)
            lists["type"][f.nature].append(docnum)
            for slug in f.outils:
                lists["outil"][slug].append(docnum)
        members = {
            dim: {value: to_bits(docs, size) for value, docs in values.items()}
            for dim, values in lists.items()
        }
        by_name = sorted((f.sort_name, f.service_id, n) for n, f in enumerate(rows))
        closures = [(n, f.closed_from, f.closed_to) for n, f in enumerate(rows) if f.closed_from]
        return cls(rows, members, by_name, closures)


_BITS = [tuple(b for b in range(8) if byte >> b & 1) for byte in range(256)]
_segment_cache: dict[tuple[str, str], _SegmentFacets] = {}
_cache_lock = threading.Lock()


class FacetTable:
    """Facet data of every live document of one index generation.

    Besides each document's :class:`Facets` (by docnum), it keeps one bitset per
    facet value, so that filters are intersections and facet counts are
    ``(a & b).bit_count()`` — C-speed operations on a few kilobytes, whatever
    the number of matching documents. Built from per-segment parts cached for
    the life of the process, so a reopen after an update costs little.
    """

    DIMENSIONS = ("accepte", "situe", "specialite", "type", "outil")

    def __init__(self, parts: list[tuple[_SegmentFacets, int, frozenset[int]]], size: int) -> None:
        self.size = size
        self.nbytes = (size + 7) // 8
        self.rows: dict[int, Facets] = {}
        self.bits: dict[str, dict[str, int]] = {d: defaultdict(int) for d in self.DIMENSIONS}
        live = 0
        for part, offset, deleted in parts:
            local_size = len(part.rows)
            local_live = ((1 << local_size) - 1) & ~to_bits(deleted, local_size)
            live |= local_live << offset
            self.rows.update((n + offset, f) for n, f in enumerate(part.rows) if n not in deleted)
            for dim, values in part.members.items():
                target = self.bits[dim]
                for value, bits in values.items():
                    target[value] |= bits << offset
        self.live = live
        for dim in self.DIMENSIONS:
            self.bits[dim] = {v: b & live for v, b in self.bits[dim].items() if b & live}
        self._parts = parts
        self._terms: dict[tuple[str, str], int] = {}
        self._closed: tuple[int, int] | None = None  # (day ordinal, bitset)

    @classmethod
    def load(cls, searcher: Searcher, folder: str) -> FacetTable:
        reader = searcher.reader()
        size = reader.doc_count_all()
        if size == 0:
            return cls([], 0)  # an empty index has no column to read
        parts, keys = [], set()
        for segreader, offset in reader.leaf_readers():
            key = (str(folder), segreader.segment().segment_id())
            keys.add(key)
            with _cache_lock:
                part = _segment_cache.get(key)
            if part is None:
                part = _SegmentFacets.load(segreader)
                with _cache_lock:
                    _segment_cache[key] = part
            deleted = (
                frozenset(segreader.segment().deleted_docs())
                if segreader.has_deletions()
                else frozenset()
            )
            parts.append((part, offset, deleted))
        with _cache_lock:
            for stale in [k for k in _segment_cache if k[0] == str(folder) and k not in keys]:
                del _segment_cache[stale]
        return cls(parts, size)

    def term_bits(self, reader, field: str, text: str) -> int:  # noqa: ANN001
        """Documents holding ``text`` in ``field``, as a bitset (cached per generation).

        Totals and facet counts need every match but no score: one posting
        list read per word, then bit operations (see services.match_bits).
        """
        key = (field, text)
        bits = self._terms.get(key)
        if bits is None:
            bits = 0
            if key in reader:
                bits = to_bits(reader.postings(field, text).all_ids(), self.size) & self.live
            if len(self._terms) >= TERM_CACHE_SIZE:
                self._terms.pop(next(iter(self._terms)))
            self._terms[key] = bits
        return bits

    def value(self, dimension: str, value: str) -> int:
        return self.bits[dimension].get(value, 0)

    def closed_on(self, day: date) -> int:
        """Live documents whose service is closed on ``day``, as a bitset.

        Evaluated from the stored dates at query time (closures are few: a scan of
        them, cached for the day), never frozen when the document was written.
        """
        ordinal = day.toordinal()
        if self._closed is None or self._closed[0] != ordinal:
            bits = 0
            for part, offset, deleted in self._parts:
                for n, first, last in part.closures:
                    if n not in deleted and first <= ordinal and (not last or ordinal <= last):
                        bits |= 1 << (n + offset)
            self._closed = (ordinal, bits)
        return self._closed[1]

    def iter_by_name(self) -> Iterator[int]:
        """Live docnums in name order (a lazy merge of the segments' sorted lists)."""

        def stream(part: _SegmentFacets, offset: int, deleted: frozenset[int]):  # noqa: ANN202
            for name, sid, n in part.by_name:
                if n not in deleted:
                    yield name, sid, n + offset

        for _, _, docnum in heapq.merge(*(stream(*p) for p in self._parts)):
            yield docnum

    def docnums(self, bits: int) -> list[int]:
        """The document numbers set in ``bits``, ascending."""
        packed = bits.to_bytes(self.nbytes, "little")
        return [(i << 3) | b for i, byte in enumerate(packed) if byte for b in _BITS[byte]]

    def first_by_name(self, bits: int, keep: int) -> list[int]:
        """Docnums of the first ``keep`` documents of ``bits`` in name order."""
        count = bits.bit_count()
        if not count or keep <= 0:
            return []
        if count * 8 < self.size:  # sparse: sort just these documents
            rows = self.rows
            return heapq.nsmallest(
                keep, self.docnums(bits), key=lambda d: (rows[d].sort_name, rows[d].service_id)
            )
        packed = bits.to_bytes(self.nbytes, "little")  # dense: walk the name order
        out: list[int] = []
        for d in self.iter_by_name():
            if packed[d >> 3] >> (d & 7) & 1:
                out.append(d)
                if len(out) == keep:
                    break
        return out


@dataclass
class _Open:
    target: str
    index: index.Index
    searcher: Searcher
    facets: FacetTable


class SearchIndex:
    """One index folder, shared by every process of the application."""

    def __init__(self, root: str, lock_timeout: float = 10.0) -> None:
        self.root = root
        self.link = os.path.join(root, "current")
        self.lock_timeout = lock_timeout
        self._local = threading.local()

    # --- reading --------------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether a readable index is in place (a damaged one counts as missing)."""
        if not os.path.exists(self.link):
            return False
        readable = False
        try:
            readable = index.exists_in(self.link)
        except Exception:  # noqa: BLE001, S110 - damaged TOC: rebuilt by the caller
            readable = False
        return readable

    @contextmanager
    def searcher(self) -> Iterator[tuple[Searcher, FacetTable]]:
        """A searcher on the latest committed generation, with its facet table."""
        opened = self._current()
        yield opened.searcher, opened.facets

    def _current(self) -> _Open:
        try:
            target = os.path.realpath(self.link, strict=True)
        except OSError as exc:
            self.close()
            raise IndexUnavailable(f"pas d'index dans {self.root}") from exc
        opened: _Open | None = getattr(self._local, "opened", None)
        failure = None
        try:
            if opened is None or opened.target != target:
                self.close()
                ix = index.open_dir(target)
                searcher = ix.searcher()
                opened = _Open(target, ix, searcher, FacetTable.load(searcher, target))
                self._local.opened = opened
            elif not opened.searcher.up_to_date():
                # Reopen rather than refresh(): refresh() may keep stale segments.
                old = opened.searcher
                opened.searcher = opened.index.searcher()
                opened.facets = FacetTable.load(opened.searcher, target)
                old.close()
        except Exception as exc:  # noqa: BLE001 - any damage (incl. an old pickled schema)
            failure = f"index illisible : {exc!r}"
        if failure is not None:
            # Raised outside the except block: keep no reference to Whoosh's frames
            # (they hold the unreadable files open).
            self.close()
            raise IndexUnavailable(failure)
        assert opened is not None
        return opened

    def close(self) -> None:
        opened = getattr(self._local, "opened", None)
        if opened is not None:
            opened.searcher.close()
            self._local.opened = None

    # --- position in the change log ----------------------------------------------------

    def read_position(self) -> Position:
        try:
            target = os.path.realpath(self.link, strict=True)
            with open(os.path.join(target, POSITION_FILE), encoding="utf-8") as handle:
                data = json.load(handle)
            return Position(int(data["last"]), frozenset(int(i) for i in data["applied"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnavailable(f"position illisible : {exc!r}") from exc

    def write_position(self, position: Position, folder: str | None = None) -> None:
        """Write atomically (a reader never sees half a file)."""
        folder = folder or os.path.realpath(self.link, strict=True)
        temporary = os.path.join(folder, f".{POSITION_FILE}.{os.getpid()}")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"last": position.last, "applied": sorted(position.applied)}, handle)
        os.replace(temporary, os.path.join(folder, POSITION_FILE))

    @contextmanager
    def catchup_lock(self, wait: bool = False) -> Iterator[bool]:
        """Become the host's one process applying changes (or swapping a generation in).

        Yields whether it did: without ``wait``, False when another one is at it.
        """
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, ".catchup.lock"), "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def doc_count(self) -> int:
        with self.searcher() as (searcher, _):
            return searcher.doc_count()

    def digests(self) -> dict[int, str]:
        with self.searcher() as (_, facets):
            return {f.service_id: f.digest for f in facets.rows.values()}

    # --- writing --------------------------------------------------------------------------

    def apply(self, requis_ids: Iterable[int], load: Callable[[], Iterable[dict]]) -> None:
        """Replace the documents of ``requis_ids`` by what ``load()`` returns, in one commit.

        ``load`` reads the database *after* the writer lock is taken: two workers
        applying changes to the same entry can then never write an older
        snapshot over a newer one.
        """
        failure = None
        try:
            ix = index.open_dir(os.path.realpath(self.link, strict=True))
        except Exception as exc:  # missing, damaged, or written by an older schema  # noqa: BLE001
            failure = f"index illisible : {exc!r}"
        if failure is not None:  # raised outside: no reference kept to Whoosh's open files
            raise IndexUnavailable(failure)
        writer = SegmentWriter(ix, timeout=self.lock_timeout, delay=0.05)
        try:
            documents = list(load())
            for requis_id in requis_ids:
                writer.delete_by_term("requis", str(requis_id))
            for document in documents:
                writer.add_document(**document)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def build(self, documents: Iterable[dict], position: Position, procs: int = 1) -> str:
        """Build a complete new generation beside the live one; returns its name."""
        os.makedirs(self.root, exist_ok=True)
        name = f"gen-{time.time_ns()}"
        target = os.path.join(self.root, name)
        os.makedirs(target)
        ix = index.create_in(target, make_schema())
        writer = ix.writer(procs=procs, limitmb=1024, multisegment=procs > 1)
        try:
            for document in documents:
                writer.add_document(**document)
        except BaseException:
            writer.cancel()
            shutil.rmtree(target, ignore_errors=True)
            raise
        writer.commit()
        self.write_position(position, target)
        return name

    def swap(self, name: str) -> None:
        """Make generation ``name`` the live one, atomically."""
        temporary = os.path.join(self.root, f".current-{name}")
        os.symlink(name, temporary)
        os.replace(temporary, self.link)
        self.close()
        self._remove_old_generations(keep={name})

    def _remove_old_generations(self, keep: set[str]) -> None:
        """Keep the new generation and the previous one (still open in other workers)."""
        generations = sorted(
            (e for e in os.listdir(self.root) if e.startswith("gen-") and e not in keep),
            reverse=True,
        )
        for old in generations[1:]:
            shutil.rmtree(os.path.join(self.root, old), ignore_errors=True)

    @contextmanager
    def rebuild_lock(self) -> Iterator[None]:
        """Serialise rebuilds across processes."""
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, ".rebuild.lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
