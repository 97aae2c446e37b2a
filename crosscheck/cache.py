"""
The page cache: anonymous readers' pages and API reads served from a cache that every write empties.

What is cached. Only pages marked as reading pages (`crosscheck.access.reader_view`
marks them with `cacheable`) and the API's list and record routes (api/urls.py
marks them), only for GET and HEAD, only for a visitor who is not logged in,
sends no Authorization header (an API token, even a bad one, which DRF answers
401) and has no message waiting, and only when reading is public
(`READING_REQUIRES_LOGIN` off). A response is stored only if it is a plain 200
(not streaming), sets no cookie, did not touch the session or the CSRF token
(a page that renders `{% csrf_token %}` is never stored, so no cached page
carries another visitor's token), shows no message, is not marked private,
no-cache or no-store, and varies on no request header but the two htmx ones
the key holds. Logged-in users never read or fill the cache: their pages carry
edit buttons, drafts, messages and a logout form with their CSRF token.

The key. The page's absolute URL (scheme, host, path and query: pages embed
absolute links, e.g. the claim page's citation line), whether it is an htmx
request (`HX-Request`) and whether it is an htmx history restore
(`HX-History-Restore-Request`): the lists answer the same URL with a fragment
or a whole page (`crosscheck.lists.render_list`). A route marked with
`key_headers` adds those request headers: the API's `Accept` (DRF answers 406
to one it cannot render, and `application/json; indent=4` indents), so the
query string (`?format=`, filters, `page`) and Accept both choose the entry.
Also a digest of the code
and templates (`code_version`), so that after a deployment, or while servers
of two versions share one cache, no server serves another version's HTML (whose
hashed static file names may no longer exist).

Invalidation: one data generation for everything. The cache holds a
generation token under `GENERATION_KEY`; each page is stored with the token
that was current when its request began, and served only while that token is
still current. `data_changed()` sets a fresh random token once the writing
transaction commits, so one write makes every page cached before it stale, in
every worker and on every server sharing the cache. A random token rather than
a counter: if the cache loses the key (eviction, a restart of Redis), a counter
would start again at a value older pages were stored under; a token never
repeats.

Why after commit (`transaction.on_commit`), never before: a reader whose request
starts between a bump and the commit would read the new token, then the data
as it was before the commit, and store the old data under the new token, where
it would stay until the next write or the TTL. Bumped after the commit, the
token a reader reads first is at worst older than the data it reads next,
which only makes its entry unreachable sooner. The order within a request
matters for the same reason: the token is read before the view runs.

Which writes bump. Every save, delete and many-to-many change of a model of the
claims and sources apps, their history models included (signals, so the Django
admin, the forms, the API and `import_case` are covered), and every `migrate`
(data migrations send no signals; post_migrate also creates the cache table).
Bulk writes send no signals, so their code calls `data_changed()`:
`claims.detection.refresh_variable`, `deferred()` and `recompute_all` (which
also covers the case-file and spreadsheet imports, both run inside
`deferred()`), and `generate_volume`. **A new bulk path (bulk_create,
bulk_update, QuerySet.update, raw SQL, COPY) must call `data_changed()`**;
`PAGE_CACHE_SECONDS` is a safety net, not a substitute. User accounts are not
watched: no reading page shows a user's name to anonymous readers, and every
login writes `last_login`.

The backend. The cache must be shared by every worker and every server, since
the generation is what makes a write visible everywhere: the default is
Django's DatabaseCache in the app's own database (the table `crosscheck_cache`,
created by `migrate` through post_migrate, or `manage.py createcachetable`):
no extra service, shared wherever the database is. `CACHE_URL=redis://…` uses
Django's RedisCache (install redis-py), `CACHE_URL=file:///path` a
FileBasedCache, for one machine only. docs/benchmarks.md compares them.
A per-process cache (locmem) is refused: the workers would not share the
generation. If the cache fails, pages are served uncached and the error is
logged; reading never depends on it.

Each worker also keeps its own copies of the pages it served (`LocalCopies`,
`PAGE_CACHE_LOCAL_MB` per worker, default 32): a hit then reads only the
generation from the shared cache, not the page. The generation is still read
on every request, so a write shows on the next read in every worker. With
the database cache that read is a PostgreSQL round trip (two, with
CONN_HEALTH_CHECKS' first query of the request); with Redis, which
docker-compose.yml runs for this, one GET of a few bytes.

The fast path. A hit that goes through the whole middleware stack still pays
for the session, authentication, CSRF and message middleware, URL resolution
and headers set one by one: most of a hit's CPU once the page is local.
`PageCacheFastPath`, second in MIDDLEWARE, keeps the whole answer such a hit
gave (headers as the outer middleware left them, the copy's own bytes) under
the request's raw inputs, and answers the next identical anonymous GET with
it after reading only the generation (on the database cache without the
health check's ping, owed again if the read fails). Its docstring says what
makes that the same answer; PAGE_CACHE_FAST_PATH=0 turns it off.

What is stored, and what a hit sends. The page's headers, its bytes and
the same bytes gzipped once at store time (level 6: a 150 KB list page is
about 15 KB); the shared cache holds the gzipped bytes only. A client whose
Accept-Encoding takes gzip (browsers, curl --compressed, requests) is sent
the gzipped bytes as they are, `Content-Encoding: gzip`; others the plain
bytes. Every stored answer says `Vary: Accept-Encoding` and carries an ETag,
a digest of its bytes (made weak on the gzipped bytes, as Django's
GZipMiddleware does): a request whose If-None-Match names it is answered 304
with no body, from the stored copy, as long as the page would still render
the same bytes. Stored pages carry no CSRF token and no session (see above),
so compressing them reveals no secret (BREACH).

Settings: `PAGE_CACHE_SECONDS` (default 600 with DEBUG off, 0 = off with DEBUG
on, so that template edits show at once in development), the time an entry may
live at most; `PAGE_CACHE_MAX_ENTRIES` (default 5000, DatabaseCache and
FileBasedCache only) before the oldest keys are culled; `PAGE_CACHE_LOCAL_MB`.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import cache as once
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.utils.cache import patch_vary_headers
from django.utils.http import split_header_value

logger = logging.getLogger(__name__)

GENERATION_KEY = "data-generation"
# Counts, on each database connection, the generations its commits started.
BUMPS = "page_cache_bumps"
TABLE = "crosscheck_cache"
# The request headers the key holds; a response varying on any other is not stored.
KEY_HEADERS = ("HX-Request", "HX-History-Restore-Request")
# The attribute `cacheable` sets on a view function.
MARK = "anonymous_page_cache"
# Told to the client and to the benchmarks: "hit" or "miss" (rendered).
STATUS_HEADER = "X-Page-Cache"
UNCACHEABLE_DIRECTIVES = {"private", "no-cache", "no-store"}
# Once per stored page: 6 (gzip's default) makes a list page a tenth of its size.
GZIP_LEVEL = 6


def backend_from_url(url: str, *, max_entries: int) -> dict:
    """Return a CACHES entry for CACHE_URL: empty or db://, redis(s)://, file:///path."""
    scheme = urlsplit(url).scheme
    if scheme in ("", "db"):
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": TABLE,
            "OPTIONS": {"MAX_ENTRIES": max_entries},
        }
    if scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": urlsplit(url).path,
            "OPTIONS": {"MAX_ENTRIES": max_entries},
        }
    raise ImproperlyConfigured(
        f"CACHE_URL {url!r}: use db://, redis://host:port/db or file:///path. A per-process "
        "cache would not share the data generation between workers."
    )


def cacheable(
    view: Callable[..., HttpResponse], *, key_headers: tuple[str, ...] = ()
) -> Callable[..., HttpResponse]:
    """Mark a reading page whose anonymous GETs may be served from the page cache.

    `key_headers`: request headers the view's answer depends on besides the
    htmx ones, which the key then holds too (the API's `Accept`).
    """
    setattr(view, MARK, tuple(key_headers))
    return view


# Invalidation -----------------------------------------------------------------


def data_changed(using: str | None = None) -> None:
    """Make every cached page stale once the current transaction commits (at once outside one).

    Call it from every write that sends no model signal: bulk_create,
    bulk_update, QuerySet.update, raw SQL. However many times it is called in
    one transaction, the generation changes once, after the commit.
    """
    connection = transaction.get_connection(using)
    seen = getattr(connection, BUMPS, 0)
    transaction.on_commit(partial(_bump_once, connection, seen), using=using, robust=True)


def _bump_once(connection, seen: int) -> None:
    """Start a new generation unless this connection started one since the write.

    The callbacks of one commit run one after the other: the first bumps, the
    others see its count and stop. A bump on the same connection after the
    write registered can only come from that write's own commit (callbacks
    run after the outermost commit), so skipping is safe.
    """
    if getattr(connection, BUMPS, 0) != seen:
        return
    setattr(connection, BUMPS, seen + 1)
    new_generation()


def new_generation() -> None:
    """Start a new data generation now: every page cached so far becomes unreachable."""
    try:
        _cache().set(GENERATION_KEY, secrets.token_hex(8), timeout=None)
    except Exception:
        logger.exception("page cache: could not start a new data generation")


def _cache():
    from django.core.cache import caches

    return caches["default"]


def connect_signals() -> None:
    """Bump the generation on every write to a model of the claims and sources apps."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

    for label in ("claims", "sources"):
        for model in apps.get_app_config(label).get_models():
            post_save.connect(_model_written, sender=model, dispatch_uid=f"page-cache-save-{model}")
            post_delete.connect(
                _model_written, sender=model, dispatch_uid=f"page-cache-delete-{model}"
            )
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _model_written,
                    sender=field.remote_field.through,
                    dispatch_uid=f"page-cache-m2m-{model}-{field.name}",
                )
    post_migrate.connect(
        _migrated, sender=apps.get_app_config("claims"), dispatch_uid="page-cache-migrate"
    )


def _model_written(sender, using: str | None = None, **kwargs) -> None:
    data_changed(using)


def _migrated(sender, using: str, verbosity: int = 1, **kwargs) -> None:
    """Create the cache table if it is missing, and start a new generation."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))
    data_changed(using)


# Serving ----------------------------------------------------------------------


class AnonymousPageCacheMiddleware:
    """Serve anonymous readers' pages from the cache; store the ones that may be shared.

    Django's CacheMiddleware cannot say "anonymous visitors only" (it keys on
    the Cookie header instead, one entry per session), has no data
    generation, and tells browsers to keep the page (max-age) when a write
    must show on the next read. This keeps its rules for what may be stored
    (status, streaming, cookies, Cache-Control,
    Vary) and adds the rest.

    Placed after the authentication and message middleware (it asks who the
    visitor is and whether a message waits) and before the view: a hit skips
    the view, and the outer middleware still adds the per-request headers
    (CSP, request id, Vary: Cookie) to every response, hit or not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        pending = getattr(request, "_page_cache", None)
        if pending is not None:
            key, generation, extra_headers = pending
            response[STATUS_HEADER] = "miss"
            if storable(request, response, extra_headers):
                response.setdefault("ETag", content_etag(response.content))
                page = store(key, generation, response)
                if accepts_gzip(request) or "HTTP_IF_NONE_MATCH" in request.META:
                    # The rendered answer goes out as a hit would: 304, or gzipped.
                    response = served(request, *page)
                    response[STATUS_HEADER] = "miss"
                else:
                    patch_vary_headers(response, ["Accept-Encoding"])
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        extra_headers = getattr(view_func, MARK, None)
        if not (
            settings.PAGE_CACHE_SECONDS > 0
            and extra_headers is not None
            and anonymous_reader(request)
        ):
            return None
        key = page_key(request, extra_headers)
        had_copy = key in LOCAL and local_copies_allowed()
        try:
            # A worker holding its own copy reads only the generation.
            generation, found = read_current() if had_copy else read_current(key)
        except Exception:
            logger.exception("page cache: read failed; serving %s uncached", request.path)
            return None
        if generation is None:
            return None
        page = LOCAL.get(key, generation) if had_copy else None
        if page is None and had_copy:  # A stale copy: the shared cache may hold a newer one.
            try:
                found[key] = _cache().get(key)
            except Exception:
                logger.exception("page cache: read failed; serving %s uncached", request.path)
                return None
        entry = found.get(key)
        if page is None and entry is not None and entry[0] == generation:
            page = entry[1], gzip.decompress(entry[2]), entry[2]
            if local_copies_allowed():
                LOCAL.put(key, generation, page)
        if page is not None:
            response = served(request, *page)
            response[STATUS_HEADER] = "hit"
            # For PageCacheFastPath: this worker may answer the same request so next time.
            request._page_cache_hit = (key, generation)
            return response
        request._page_cache = (key, generation, extra_headers)
        return None


class PageCacheFastPath:
    """Answer a repeated anonymous GET from this worker's copy before the other middleware run.

    A hit through the whole stack costs the session, authentication, CSRF and
    message middleware, URL resolution and the response headers set one by
    one, several times what the stored page costs to send. This middleware,
    placed just after RequestIdMiddleware, keeps the whole answer a hit gave
    (its headers as the outer middleware left them, and its body, which is
    the local copy's own bytes) under the request's raw inputs, and answers
    the next identical request with it after one read: the data generation.
    What makes it the same answer:

    - It is only taken by a GET with no Authorization, no If-None-Match
      (304s go the whole way), and no cookie but a well-formed CSRF cookie:
      no session cookie, so the visitor is anonymous and no message waits in
      the session; no message cookie. The CSRF middleware, skipped, would
      have done nothing on such a GET: no page in the cache renders a token.
    - The request key holds every request input the stack's answer depends
      on: scheme and forwarded scheme, host and forwarded host, port, script
      name, path, query string, the htmx headers, Accept, whether gzip is
      accepted. Two requests equal on all of them got the same answer from
      the whole stack (SSL redirect, APPEND_SLASH, host validation, the
      page key), so the first one's answer is the second one's.
    - An answer is kept only from a hit, and inside its page's local copy
      (`LocalCopies.keep_answer`): served only while that copy is current
      under the generation read now, so every write shows on the next read
      as before. The generation is read on every request.

    Nothing else changes: a request that does not qualify, or has no answer
    kept, goes through the stack as before. RequestIdMiddleware, outside,
    still gives each answer its own X-Request-ID.
    """

    # The request's inputs the whole stack's answer depends on (besides gzip).
    REQUEST_INPUTS = (
        "wsgi.url_scheme",
        "HTTP_X_FORWARDED_PROTO",
        "HTTP_HOST",
        "HTTP_X_FORWARDED_HOST",
        "HTTP_X_FORWARDED_PORT",
        "SERVER_NAME",
        "SERVER_PORT",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "HTTP_HX_REQUEST",
        "HTTP_HX_HISTORY_RESTORE_REQUEST",
        "HTTP_ACCEPT",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_key = self.request_key(request)
        if request_key is None:
            return self.get_response(request)
        if LOCAL.may_answer(request_key):
            generation = read_generation_at_once(request)
            answer = LOCAL.answer(request_key, generation) if generation else None
            if answer is not None:
                headers, body = answer
                response = HttpResponse(body)
                # The stored headers as they are: set one by one, each would be checked again.
                response.headers._store = dict(headers)
                return response
        response = self.get_response(request)
        hit = getattr(request, "_page_cache_hit", None)
        if hit is not None and response.status_code == 200 and not response.cookies:
            LOCAL.keep_answer(request_key, *hit, (dict(response.headers._store), response.content))
        return response

    @classmethod
    def request_key(cls, request: HttpRequest) -> tuple | None:
        """The request's inputs, or None if it may not take the fast path."""
        meta = request.META
        if (
            request.method != "GET"
            or "HTTP_AUTHORIZATION" in meta
            or "HTTP_IF_NONE_MATCH" in meta
            or settings.PAGE_CACHE_SECONDS <= 0
            or settings.PAGE_CACHE_LOCAL_MB <= 0
            or settings.READING_REQUIRES_LOGIN
            or settings.DISALLOWED_USER_AGENTS
            or not local_copies_allowed()
        ):
            return None
        if "HTTP_COOKIE" in meta and not only_a_csrf_cookie(request.COOKIES):
            return None
        return (*(meta.get(name) for name in cls.REQUEST_INPUTS), accepts_gzip(request))


def read_generation_at_once(request: HttpRequest) -> str | None:
    """Read the current generation for the fast path; None if it cannot be read.

    On the database cache, without CONN_HEALTH_CHECKS' ping first: the ping
    is a round trip of its own, as dear as the read. If the connection died
    while idle the read fails instead; the ping is then owed again, so the
    long way's first query checks the connection, reconnects, and the
    request is answered as it always was.
    """
    from django.core.cache.backends.db import DatabaseCache
    from django.db import connections, router

    cache = _cache()
    connection = None
    if isinstance(cache, DatabaseCache):
        connection = connections[router.db_for_read(cache.cache_model_class)]
        if not (
            connection.connection is not None
            and connection.health_check_enabled
            and not connection.health_check_done
            and not connection.errors_occurred
        ):
            connection = None
    if connection is not None:
        connection.health_check_done = True
    try:
        return cache.get(GENERATION_KEY)
    except Exception:
        if connection is None:
            logger.exception("page cache: read failed; serving %s the long way", request.path)
        else:
            connection.health_check_done = False
            logger.warning(
                "page cache: unchecked read failed; serving %s the long way", request.path
            )
        return None


def only_a_csrf_cookie(cookies: dict) -> bool:
    """Whether the cookies are at most a CSRF cookie in the current format (nothing to renew)."""
    if settings.CSRF_USE_SESSIONS or not set(cookies) <= {settings.CSRF_COOKIE_NAME}:
        return False
    token = cookies.get(settings.CSRF_COOKIE_NAME)
    return token is None or (
        len(token) == CSRF_SECRET_LENGTH and token.isascii() and token.isalnum()
    )


def read_current(*keys: str) -> tuple[str | None, dict]:
    """Read the current generation and the entries under `keys`, in one round trip.

    When the cache holds no generation yet (new, emptied, evicted), start one.
    """
    found = _cache().get_many([GENERATION_KEY, *keys])
    return found.get(GENERATION_KEY) or _first_generation(), found


def _first_generation() -> str | None:
    """Start the first generation when the cache holds none; return the current one."""
    cache = _cache()
    cache.add(GENERATION_KEY, secrets.token_hex(8), timeout=None)
    return cache.get(GENERATION_KEY)


def anonymous_reader(request: HttpRequest) -> bool:
    """Whether the request is an anonymous GET or HEAD with no message waiting.

    A request with an Authorization header (an API token, even a bad one) is
    not anonymous: DRF authenticates it, and a bad token answers 401.
    """
    return (
        request.method in ("GET", "HEAD")
        and not settings.READING_REQUIRES_LOGIN
        and "HTTP_AUTHORIZATION" not in request.META
        and not request.user.is_authenticated
        # A waiting message must be shown, by a rendered page, not a stored one.
        and not len(getattr(request, "_messages", ()))
    )


def page_key(request: HttpRequest, extra_headers: tuple[str, ...] = ()) -> str:
    """Return the key of the page: code version, htmx variant (and extra headers), absolute URL."""
    variant = ",".join(request.headers.get(name, "") for name in (*KEY_HEADERS, *extra_headers))
    url = request.build_absolute_uri()
    digest = hashlib.sha256(f"{variant}|{url}".encode()).hexdigest()[:40]
    return f"page:{code_version()}:{digest}"


def storable(
    request: HttpRequest, response: HttpResponse, extra_headers: tuple[str, ...] = ()
) -> bool:
    """Whether the response may be served to every anonymous reader of this URL."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    directives = {
        d.split("=", 1)[0].strip().lower()
        for d in split_header_value(response.get("Cache-Control", ""))
    }
    if directives & UNCACHEABLE_DIRECTIVES:
        return False
    allowed = {name.lower() for name in (*KEY_HEADERS, *extra_headers)}
    varies = {v.lower() for v in split_header_value(response.get("Vary", ""))}
    if varies - allowed:
        return False
    messages = getattr(request, "_messages", ())
    return not (
        # The page rendered a CSRF token, or the response will set a cookie.
        request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or getattr(request.session, "modified", False)
        or getattr(messages, "used", False)
        or len(messages)
        or request.user.is_authenticated
    )


def store(key: str, generation: str, response: HttpResponse) -> tuple[list, bytes, bytes]:
    """Store the response, gzipped, under the generation its request began in; return the page.

    Gzipped once here: list pages of 150 KB shrink about tenfold, which the
    shared cache sends back on a hit in another worker, and which a client
    that accepts gzip is sent as it is (`served`).
    """
    headers = [(k, v) for k, v in response.items() if k != STATUS_HEADER]
    page = headers, response.content, gzip.compress(response.content, GZIP_LEVEL, mtime=0)
    if local_copies_allowed():
        LOCAL.put(key, generation, page)
    entry = (generation, headers, page[2])
    try:
        _cache().set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
    except Exception:
        logger.exception("page cache: could not store %s", key)
    return page


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether the client's Accept-Encoding takes gzip (and does not refuse it with q=0)."""
    for coding in request.META.get("HTTP_ACCEPT_ENCODING", "").lower().split(","):
        name, _, params = coding.partition(";")
        if name.strip() not in ("gzip", "*"):
            continue
        params = params.replace(" ", "")
        if not params.startswith("q="):
            return True
        try:
            return float(params[2:]) > 0
        except ValueError:
            return False
    return False


def served(request: HttpRequest, headers: list, content: bytes, gzipped: bytes) -> HttpResponse:
    """Answer a stored page: 304 to a client that holds it, else the bytes, gzipped if accepted.

    Either way the answer says `Vary: Accept-Encoding`, for the caches between.
    The gzipped bytes carry the ETag made weak, as Django's GZipMiddleware does
    (the same page, other bytes); If-None-Match compares tags weakly.
    """
    if (response := not_modified(request, headers)) is None:
        if accepts_gzip(request):
            response = HttpResponse(gzipped, headers=headers)
            response["Content-Encoding"] = "gzip"
            if (etag := response.get("ETag", "")).startswith('"'):
                response["ETag"] = f"W/{etag}"
        else:
            response = HttpResponse(content, headers=headers)
        response["Content-Length"] = str(len(response.content))
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def content_etag(content: bytes) -> str:
    """Return a strong ETag for the stored bytes: the same bytes, the same tag, across writes."""
    return f'"{hashlib.blake2b(content, digest_size=12).hexdigest()}"'


def not_modified(request: HttpRequest, headers: list[tuple[str, str]]) -> HttpResponse | None:
    """Answer 304 when the client's If-None-Match names the stored page's ETag, else None.

    The tag is a digest of the bytes, so a client that kept the page gets a
    304 for as long as the page would render the same, writes or not; a
    write that changes the page changes its tag.
    """
    sent = request.META.get("HTTP_IF_NONE_MATCH")
    if not sent:
        return None
    etag = dict((k.lower(), v) for k, v in headers).get("etag")
    tags = {tag.strip().removeprefix("W/") for tag in sent.split(",")}
    if etag is None or not (etag in tags or "*" in tags):
        return None
    response = HttpResponse(status=304)
    for name, value in headers:
        if name.lower() in ("etag", "cache-control", "vary", "content-location", "expires"):
            response[name] = value
    return response


class LocalCopies:
    """Each worker's own copies of the pages it served, up to a size in bytes.

    A hit in the shared cache costs reading the page back (on the database
    cache: a row of tens of kilobytes, base64-encoded, then decompressed);
    a copy kept in the worker costs nothing but memory. Correctness does not
    change: every request still reads the shared generation first, and a copy
    is served only under the generation it was stored with, and within
    PAGE_CACHE_SECONDS. The oldest-used copies go first when the budget
    (PAGE_CACHE_LOCAL_MB, per worker) is full.
    """

    # At most this many requests remembered for the fast path (`answers`).
    MAX_ANSWERS = 10_000

    def __init__(self) -> None:
        # key -> (generation, expires, page, {request key: answer})
        self._pages: OrderedDict[str, tuple[str, float, tuple, dict]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # runserver serves from threads
        # request key (PageCacheFastPath.request_key) -> the page key it was answered from
        self._answered: dict[tuple, str] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._pages

    def get(self, key: str, generation: str) -> tuple[list, bytes, bytes] | None:
        """Return the page stored under key and this generation, if it has not expired."""
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            stored_generation, expires, page, _ = found
            if stored_generation != generation or expires < time.monotonic():
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def may_answer(self, request_key: tuple) -> bool:
        """Whether a whole answer to this request may be held (a generation read decides)."""
        return self._answered.get(request_key) in self._pages

    def answer(self, request_key: tuple, generation: str) -> tuple[dict, bytes] | None:
        """Return the answer kept for this request, if its page is current under `generation`.

        The answer lives in its page's entry: it goes when the page goes (a
        new generation, the TTL, the budget), and its body is the page's own
        bytes, not a copy.
        """
        with self._lock:
            key = self._answered.get(request_key)
            found = self._pages.get(key) if key is not None else None
            if found is None:
                return None
            stored_generation, expires, _, answers = found
            if stored_generation != generation or expires < time.monotonic():
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return answers.get(request_key)

    def keep_answer(
        self, request_key: tuple, key: str, generation: str, answer: tuple[dict, bytes]
    ) -> None:
        """Keep the whole answer a hit on `key` gave this request, while the page is kept."""
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] != generation:
                return
            if len(self._answered) >= self.MAX_ANSWERS:
                self._answered.clear()
                for entry in self._pages.values():
                    entry[3].clear()
            found[3][request_key] = answer
            self._answered[request_key] = key

    def put(self, key: str, generation: str, page: tuple[list, bytes, bytes]) -> None:
        budget = settings.PAGE_CACHE_LOCAL_MB * 1024 * 1024
        if size(page) > budget:
            return
        with self._lock:
            self._drop(key)
            expires = time.monotonic() + settings.PAGE_CACHE_SECONDS
            self._pages[key] = (generation, expires, page, {})
            self._size += size(page)
            while self._size > budget:
                self._drop(next(iter(self._pages)))

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._answered.clear()
            self._size = 0

    def _drop(self, key: str) -> None:
        found = self._pages.pop(key, None)
        if found is not None:
            self._size -= size(found[2])


def size(page: tuple) -> int:
    """The bytes a page holds: as it is, and gzipped."""
    return sum(len(part) for part in page[1:])


LOCAL = LocalCopies()


def local_copies_allowed() -> bool:
    """Whether this request may use the worker's copies: not inside a transaction.

    Inside one (ATOMIC_REQUESTS, or a test's TestCase) the database cache's
    rows may yet be rolled back, generation included, and a copy made
    meanwhile would outlive them. Requests here run in autocommit.
    """
    return not transaction.get_connection().in_atomic_block


# Derived values -----------------------------------------------------------------


def remembered[T](name: str, compute: Callable[[], T]) -> T:
    """Return compute(), kept in the shared cache until the next write changes the data.

    For a value every page needs that is costly to derive from all the data
    and changes only when the data does (the languages the claims are in: a
    DISTINCT over every claim, 0.35 s at a million). It follows the pages'
    rules: the generation is read first, the value is stored under it, and
    nothing is kept when VALUE_CACHE_SECONDS is 0 or inside a transaction
    (whose writes may yet be rolled back, or have not yet started a new
    generation). It does not depend on whole pages being cached: a page
    rendered for a logged-in editor needs the languages too.
    """
    if settings.VALUE_CACHE_SECONDS <= 0 or not local_copies_allowed():
        return compute()
    key = f"value:{name}:{code_version()}"
    try:
        generation, found = read_current(key)
    except Exception:
        logger.exception("page cache: read failed; computing %s afresh", name)
        return compute()
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = compute()
    try:
        _cache().set(key, (generation, value), timeout=settings.VALUE_CACHE_SECONDS)
    except Exception:
        logger.exception("page cache: could not keep %s", name)
    return value


# The code version -------------------------------------------------------------

CODE_DIRS = ("api", "claims", "crosscheck", "sources", "templates")


@once
def code_version() -> str:
    """Return a digest of the app's Python files, templates and static manifest.

    The same code gives the same digest on every server, so servers of one
    version share their entries and servers of two versions never do. Read
    once per process (a few hundred small files).
    """
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    files = sorted(
        path
        for name in CODE_DIRS
        for pattern in ("*.py", "*.html")
        for path in (root / name).rglob(pattern)
    )
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    for path in [*files, manifest]:
        try:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        except (OSError, ValueError):
            continue
    return digest.hexdigest()[:12]
