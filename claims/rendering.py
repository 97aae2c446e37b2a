"""
Rendered cards kept in memory, keyed by everything they show: `{% card %}` (issue 16).

Template rendering was 78–91% of a list request at a million claims: fifty
claim cards, each an `{% include %}` of a few partials and a hundred variable
lookups, cost 60–400 ms of CPU, and logged-in staff never get the page cache.
`{% card "claims/_claim_row.html" %}` renders as `{% include %}` does (same
arguments, same output) but keeps the HTML in this worker's memory and serves
it again the next time the same card is drawn with the same data.

The key is the data, not a version. It is built, for each request, from the
objects the view has just loaded: every variable the template (and the
partials it includes) names is looked up in the context and reduced to
plain values (`state`): a model instance to all its loaded fields and
annotations, the related objects joined to it (`select_related`), its
prefetched lists (`prefetch_related`, `to_attr` lists such as
`visible_notes`) and what views attach (`published_edits`, a conflict's
`here`/`other`), recursively; dataclasses field by field; lists item by item.
Also in the key: the template object itself (a template edited in
development is a new object), the viewer's permission set and whether they
are logged in, staff or superuser, the active language and time zone. So an
entry can only be served for the very data it was rendered from: no write
needs to invalidate anything, whatever its kind (an edit, an approval, a
conflict opened or resolved, a source renamed, a note added, a detainee
renamed, a document moved, a publication, a raw-SQL bulk update): the next
request loads the changed rows, their state differs, the key differs.
Entries never again reachable age out of the bounded LRU. The store holds a
160-bit digest of the pickled values, not the values (which took 3.5–5.6
times the card's HTML in memory).

What is never cached (the card is then rendered as a plain include):

- a template using a tag outside `SAFE_TAGS` (`{% csrf_token %}`,
  `{% submission_token %}`, `{% querystring %}` and any other tag whose
  output depends on the request, the time or a random token), a tag library
  other than `SAFE_LIBRARIES`, or an include whose name is not a literal;
- a card whose variables hold anything `state` cannot reduce to plain
  values (an unevaluated queryset, a form, a page, a request);
- a card whose rendering ran a query (a relation loaded lazily, a queryset
  evaluated by the template): its output would depend on data not in the
  key. That `{% card %}` place is remembered and never caches that
  template again in the process.

The cache is per worker process (`RENDER_CACHE_MB`, 0 turns it off), so a
hit costs no query and no round trip: query counts per page are unchanged.
Filters used by card templates must be pure functions of their arguments
(all of Django's built-ins used here are, given the language and time zone).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import hashlib
import pickle
import re
import threading
import uuid
from collections import OrderedDict

from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.template import Template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

# Tags whose output is a pure function of the context (and the URLconf).
SAFE_TAGS = frozenset(
    {
        "if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith",
        "include", "load", "url", "comment", "endcomment", "firstof", "spaceless",
        "endspaceless", "card",
    }
)  # fmt: skip
# Tag libraries whose filters are pure (claims/templatetags/browse.py).
SAFE_LIBRARIES = frozenset({"browse", "cards"})
PLAIN = (
    str, int, float, bool, type(None), datetime.date, datetime.datetime, datetime.time,
    datetime.timedelta, decimal.Decimal, uuid.UUID,
)  # fmt: skip

_PLAIN_TYPES = frozenset(PLAIN)

_TAG = re.compile(r"{%\s*(\w+)(.*?)%}", re.S)
_VAR = re.compile(r"{{(.*?)}}", re.S)
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
# A name read from the context: not after a dot (an attribute) or a pipe (a filter).
_NAME = re.compile(r"(?<![\w.|])([A-Za-z_]\w*)")


class Uncacheable(Exception):
    """The card's inputs or template cannot be reduced to a key: render it plainly."""


# What a template reads -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Reads:
    """The context names a template and its partials read; None if it is never cached."""

    names: tuple[str, ...] | None


_reads: dict[Template, Reads] = {}
_reads_lock = threading.Lock()


def reads(template: Template, engine) -> Reads:
    """Return (and remember) the names `template` reads, following its literal includes."""
    found = _reads.get(template)
    if found is None:
        try:
            names = tuple(sorted(_names(template.source, engine, set())))
        except Uncacheable:
            names = None
        found = Reads(names)
        with _reads_lock:
            _reads[template] = found
    return found


def _names(source: str, engine, seen: set[str]) -> set[str]:
    names: set[str] = set()
    source = re.sub(r"{#.*?#}", "", source, flags=re.S)
    for tag, rest in _TAG.findall(source):
        if tag not in SAFE_TAGS:
            raise Uncacheable(tag)
        if tag == "load":
            if not set(rest.split()) <= SAFE_LIBRARIES:
                raise Uncacheable(rest)
            continue
        if tag in ("include", "card"):
            name = rest.split()[0] if rest.split() else ""
            if not (len(name) > 1 and name[0] == name[-1] and name[0] in "\"'"):
                raise Uncacheable(rest)
            if name[1:-1] not in seen:
                seen.add(name[1:-1])
                inner = engine.get_template(name[1:-1])
                names |= _names(inner.source, engine, seen)
        names |= set(_NAME.findall(_STRING.sub('""', rest)))
    for expression in _VAR.findall(source):
        names |= set(_NAME.findall(_STRING.sub('""', expression)))
    return names


# The key ---------------------------------------------------------------------


def state(value, path: frozenset[int] = frozenset(), memo: dict | None = None):
    """Reduce value to hashable plain values: everything a template can read from it.

    `memo` (one per page render) keeps each model instance's state by identity:
    one source or topic shown on fifty cards is reduced once.
    """
    kind = type(value)
    if kind in _PLAIN_TYPES or isinstance(value, PLAIN):
        return value
    if isinstance(value, Model):
        if id(value) in path:
            return ("ref", kind, value.pk)
        if memo is not None:
            known = memo.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
        path = path | {id(value)}
        items = []
        for name, item in value.__dict__.items():
            if type(item) in _PLAIN_TYPES:
                items.append(item)
            elif name == "_state":
                continue
            elif name == "_prefetched_objects_cache":
                item = {key: _evaluated(qs) for key, qs in item.items()}
                items.append(tuple(sorted((k, state(v, path, memo)) for k, v in item.items())))
            else:
                items.append((name, state(item, path, memo)))
        related = value._state.fields_cache
        found = (
            kind,
            tuple(value.__dict__),  # The names, once: the values above are in this order.
            tuple(items),
            tuple(sorted((k, state(v, path, memo)) for k, v in related.items())) if related else (),
        )
        if memo is not None:
            memo[id(value)] = (value, found)
        return found
    if isinstance(value, list | tuple):
        return (kind, tuple(state(item, path, memo) for item in value))
    if isinstance(value, frozenset | set):
        return (kind, frozenset(state(item, path, memo) for item in value))
    if isinstance(value, dict):
        return (dict, tuple(sorted((k, state(v, path, memo)) for k, v in value.items())))
    if isinstance(value, QuerySet):
        return state(_evaluated(value), path, memo)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value)]
        return (
            kind,
            tuple(state(getattr(value, name), path, memo) for name in fields),
            # Attributes a view set on it beside its fields (a cluster's form, say).
            tuple(
                sorted((k, state(v, path, memo)) for k, v in vars(value).items() if k not in fields)
            ),
        )
    raise Uncacheable(kind.__name__)


def _evaluated(queryset: QuerySet) -> list:
    if queryset._result_cache is None:
        raise Uncacheable("an unevaluated queryset")
    return queryset._result_cache


def viewer(context) -> tuple:
    """The viewer's part of the key: logged in or not, staff, superuser, permissions."""
    user = context.get("user")
    if user is None:
        request = context.get("request")
        user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ("anonymous",)
    return (
        "user",
        user.is_staff,
        user.is_superuser,
        frozenset(user.get_all_permissions()),
    )


# The store -------------------------------------------------------------------


class Cards:
    """A thread-safe LRU of rendered cards, bounded in bytes (an estimate with the keys)."""

    # A key (a template and a digest) and the entry's bookkeeping, counted as this many
    # times the HTML (a card is 1-5 KB).
    OVERHEAD = 0.1

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key) -> str | None:
        with self.lock:
            html = self.entries.get(key)
            if html is None:
                self.misses += 1
                return None
            self.entries.move_to_end(key)
            self.hits += 1
            return html

    def put(self, key, html: str) -> None:
        size = int(len(html) * (1 + self.OVERHEAD)) + 200
        if size > self.max_bytes:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = html
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, old = self.entries.popitem(last=False)
                self.bytes -= int(len(old) * (1 + self.OVERHEAD)) + 200

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = 0
            self.hits = self.misses = 0


_cards: Cards | None = None
_cards_lock = threading.Lock()
# (card node, template) whose rendering ran a query: never cached again.
_refused: set = set()


def cards() -> Cards | None:
    """Return this process's store, or None when RENDER_CACHE_MB is 0."""
    global _cards
    size = int(getattr(settings, "RENDER_CACHE_MB", 16) * 1024 * 1024)
    if size <= 0:
        return None
    if _cards is None or _cards.max_bytes != size:
        with _cards_lock:
            if _cards is None or _cards.max_bytes != size:
                _cards = Cards(size)
    return _cards


class _Queries:
    """Count the queries run on every connection while rendering a card."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def render_card(site, template: Template, context, extra: dict, render_plain) -> SafeString:
    """Return the card's HTML, from the store when the same card was drawn from the same data.

    `site` is the `{% card %}` node; `extra` holds the include's `with`
    values (already resolved); `render_plain()` renders it as `{% include %}`
    would.
    """
    store = cards()
    if store is None:
        return render_plain()
    engine = context.template.engine
    names = reads(template, engine).names
    if names is None or (site, template) in _refused:
        return render_plain()
    try:
        key = _key(template, context, extra, names)
    except Uncacheable:
        return render_plain()
    html = store.get(key)
    if html is not None:
        return mark_safe(html)
    watcher = _Queries()
    wrappers = [connections[alias].execute_wrapper(watcher) for alias in connections]
    for wrapper in wrappers:
        wrapper.__enter__()
    try:
        html = render_plain()
    finally:
        for wrapper in reversed(wrappers):
            wrapper.__exit__(None, None, None)
    if watcher.count:
        # Data not in the key went into the HTML: this place never caches this template.
        _refused.add((site, template))
        return html
    store.put(key, str(html))
    return html


MEMO = "claims.rendering.memo"


def _key(template: Template, context, extra: dict, names: tuple[str, ...]) -> tuple:
    # One memo per page render: the objects it shows do not change while it renders.
    memo = context.render_context.dicts[0].get(MEMO)
    if memo is None:
        memo = context.render_context.dicts[0][MEMO] = {
            "viewer": (
                viewer(context),
                translation.get_language(),
                timezone.get_current_timezone_name(),
            )
        }
    values = tuple(
        state(extra[name] if name in extra else context.get(name), memo=memo) for name in names
    )
    # A digest, not the values: they took 3.5-5.6 times the card's HTML in memory. Equal
    # digests mean equal pickles, so equal values; equal values pickled differently (one
    # string object shared where another page has two) only make a needless miss.
    try:
        pickled = pickle.dumps((memo["viewer"], values), protocol=5)
    except Exception as problem:  # Whatever cannot be pickled is not kept.
        raise Uncacheable(str(problem)) from problem
    return (template, hashlib.blake2b(pickled, digest_size=20).digest())
