"""
The page cache (crosscheck/cache.py): anonymous readers' pages come from the
cache, and every write, of every kind, shows on the very next read.

Specified here: what is served from the cache (anonymous GET and HEAD of
reading pages, htmx fragments apart from whole pages) and what never is
(logged-in users' pages, pages with a CSRF token, a cookie or a waiting
message, errors); that a claim approved through the model, a conflict
resolved, a note hidden, a source edited, an admin change and a bulk
recompute each show on the next anonymous read; that an entry stored under an
older data generation is never served; and that a failing cache serves pages
uncached. The cache is off by default in tests (DEBUG is on); these turn it on.

In TestCase, `transaction.on_commit` callbacks run only inside
`captureOnCommitCallbacks(execute=True)`: each write below is wrapped in it,
as a real commit would run them. Each worker's own copies of pages are used
only outside a transaction, so WorkerCopiesTests is a TransactionTestCase.
"""

import gzip

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.http import HttpResponse
from django.template import engines
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse
from rest_framework.authtoken.models import Token

from claims.models import Claim, Conflict, Document
from crosscheck import cache as page_cache
from crosscheck.access import reader_view
from crosscheck.versions import latest_version
from tests.cast import JanuaryCast
from tests.roles import RoleCast, restore_roles

ON = override_settings(PAGE_CACHE_SECONDS=600)
STATUS = page_cache.STATUS_HEADER


class PageCacheCase(RoleCast, JanuaryCast, TestCase):
    def read(self, url: str, **headers):
        """GET url as an anonymous reader (the test client's own session aside)."""
        return self.client.get(url, headers=headers)

    def assertServedFromCache(self, url: str, **headers):
        response = self.read(url, **headers)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response[STATUS], "hit", url)
        return response

    def assertRendered(self, url: str, **headers):
        response = self.read(url, **headers)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get(STATUS), "miss", url)
        return response

    def write(self):
        """Run the block's on_commit callbacks at its end, as a commit would."""
        return self.captureOnCommitCallbacks(execute=True)


@ON
class ServingTests(PageCacheCase):
    def test_it_serves_a_second_anonymous_read_from_the_cache_with_one_query(self):
        first = self.assertRendered(reverse("claims:list"))

        # One query: the data generation and the page, read together.
        with self.assertNumQueries(1):
            second = self.assertServedFromCache(reverse("claims:list"))

        self.assertEqual(second.content, first.content)
        self.assertEqual(second["Content-Type"], first["Content-Type"])
        self.assertContains(second, "They have already released some of the prisoners")

    def test_it_keeps_the_per_request_headers_on_a_cached_page(self):
        self.read(reverse("claims:home"))

        response = self.assertServedFromCache(reverse("claims:home"))

        self.assertIn("Content-Security-Policy", response)
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertIn("X-Request-ID", response)

    def test_it_tells_an_htmx_fragment_apart_from_the_whole_page(self):
        url = reverse("claims:list") + "?stance=affirms"
        page = self.assertRendered(url)
        fragment = self.assertRendered(url, HX_Request="true")

        self.assertNotEqual(fragment.content, page.content)
        self.assertNotContains(fragment, "<html")
        self.assertEqual(self.assertServedFromCache(url).content, page.content)
        self.assertEqual(
            self.assertServedFromCache(url, HX_Request="true").content, fragment.content
        )
        # A history restore asks for the whole page on the same URL.
        restore = self.assertRendered(url, HX_Request="true", HX_History_Restore_Request="true")
        self.assertContains(restore, "<html")

    def test_it_serves_head_from_the_cached_get(self):
        self.read(reverse("claims:conflicts"))

        response = self.client.head(reverse("claims:conflicts"))

        self.assertEqual(response[STATUS], "hit")
        self.assertEqual(response.status_code, 200)

    def test_it_keys_on_the_host_since_pages_carry_absolute_links(self):
        url = self.some_released.get_absolute_url()
        self.client.get(url, HTTP_HOST="localhost")

        response = self.client.get(url)

        self.assertEqual(response[STATUS], "miss")
        # The claim's citation permalink is canonical (SITE_URL) whatever the host;
        # downloads' permalinks still follow the host, so the key keeps it.
        self.assertContains(response, f"{settings.SITE_URL}/claims/")
        self.assertNotContains(response, "http://localhost/claims/")

    def test_it_never_serves_an_entry_stored_under_an_older_generation(self):
        url = reverse("claims:list")
        self.read(url)

        # Another worker's write: a new generation, as data_changed() sets after commit.
        page_cache.new_generation()

        self.assertRendered(url)
        self.assertServedFromCache(url)

    def test_every_reading_page_is_cached_without_a_csrf_token_or_a_cookie(self):
        conflict = Conflict.objects.get()
        urls = [
            reverse("claims:home"),
            reverse("claims:list"),
            reverse("claims:conflicts"),
            reverse("claims:detainees"),
            reverse("claims:status_board"),
            reverse("sources:list"),
            self.some_released.get_absolute_url(),
            conflict.get_absolute_url(),
            self.release.get_absolute_url(),
            self.psaki.get_absolute_url(),
            reverse("history", args=["claim", self.some_released.pk]),
        ]
        for url in urls:
            with self.subTest(url=url):
                self.client.cookies.clear()
                self.assertRendered(url)
                response = self.assertServedFromCache(url)
                self.assertNotContains(response, "csrfmiddlewaretoken")
                self.assertNotContains(response, "Log out")
                self.assertEqual(response.cookies, {})


@ON
class LoggedInTests(PageCacheCase):
    def test_a_logged_in_user_never_gets_a_cached_page(self):
        url = reverse("claims:list")
        self.read(url)
        self.assertServedFromCache(url)

        self.client.force_login(self.editor)
        response = self.client.get(url)

        self.assertNotIn(STATUS, response)
        self.assertContains(response, "Log out ed")
        self.assertContains(response, "csrfmiddlewaretoken")

    def test_a_logged_in_user_never_fills_the_cache(self):
        url = reverse("claims:conflicts")
        self.client.force_login(self.moderator)
        self.client.get(url)
        self.client.get(url)
        self.client.logout()

        response = self.assertRendered(url)

        self.assertNotContains(response, "Log out")

    def test_reading_behind_a_login_serves_no_cached_page(self):
        url = reverse("claims:list")
        self.read(url)
        self.assertServedFromCache(url)

        with override_settings(READING_REQUIRES_LOGIN=True):
            response = self.read(url)

        self.assertEqual(response.status_code, 302)


@ON
class WritesShowOnTheNextReadTests(PageCacheCase):
    """Each kind of write, then the very next anonymous read."""

    def cache(self, *urls: str) -> None:
        for url in urls:
            self.read(url)
            self.assertServedFromCache(url)

    def test_a_claim_approved_through_the_model(self):
        claim = Claim(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.AFFIRMS,
            quantity_min=53,
            quantity_max=53,
            quote="All fifty-three walked free this morning",
            summary="All 53 released",
            stated_on="2015-01-12",
            document=self.article,
        )
        claim.full_clean()
        claim.save()
        self.cache(reverse("claims:list"), self.release.get_absolute_url())

        with self.write():
            claim.approve(by=self.moderator)

        for url in (reverse("claims:list"), self.release.get_absolute_url()):
            self.assertContains(self.assertRendered(url), "All fifty-three walked free")
        self.assertContains(
            self.assertRendered(reverse("history", args=["claim", claim.pk])), "Approved"
        )

    def test_a_conflict_resolved_by_a_moderator(self):
        conflict = Conflict.objects.get()
        self.cache(conflict.get_absolute_url(), reverse("claims:conflicts"))
        self.assertContains(self.read(reverse("claims:conflicts")), conflict.claim_a.quote)

        self.client.force_login(self.moderator)
        with self.write():
            response = self.client.post(
                reverse("claims:conflict_resolve", args=[conflict.pk]),
                {
                    "outcome": Conflict.Outcome.A_RIGHT,
                    "rationale": "The Jan 12 list names 53 released.",
                    "evidence_url": "https://www.state.gov/list-of-53",
                },
            )
        self.assertEqual(response.status_code, 302)
        self.client.logout()

        conflict.refresh_from_db()
        self.assertEqual(conflict.status, Conflict.Status.RESOLVED)
        self.assertContains(self.assertRendered(conflict.get_absolute_url()), "Resolved")
        # The list shows open conflicts: the resolved one has left it.
        self.assertContains(self.assertRendered(reverse("claims:conflicts")), "No ")

    def test_a_note_hidden_by_a_moderator(self):
        url = self.psaki.get_absolute_url()
        self.cache(url, reverse("claims:list"))
        self.assertContains(self.read(url), self.psaki_note.body)

        with self.write():
            self.psaki_note.hide(by=self.moderator, reason="Written about the wrong person.")

        self.assertNotContains(self.assertRendered(url), self.psaki_note.body)
        self.assertNotContains(self.assertRendered(reverse("claims:list")), self.psaki_note.body)

    def test_a_source_edited_by_an_editor(self):
        url = self.rubio.get_absolute_url()
        self.cache(url, reverse("sources:list"))

        self.client.force_login(self.editor)
        with self.write():
            response = self.client.post(
                reverse("sources:source_edit", args=[self.rubio.pk]),
                {
                    "name": "Sen. Marco Rubio",
                    "kind": self.rubio.kind,
                    "country": "US",
                    "seen_version": latest_version(self.rubio),
                },
            )
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        self.client.logout()

        self.assertContains(self.assertRendered(url), "Sen. Marco Rubio")
        self.assertContains(self.assertRendered(reverse("sources:list")), "Sen. Marco Rubio")

    def test_a_change_in_the_admin(self):
        url = self.some_released.get_absolute_url()
        self.cache(url)
        change = reverse("admin:claims_document_change", args=[self.article.pk])
        self.client.force_login(self.admin)
        form = self.client.get(change).context["adminform"].form
        data = {name: form[name].value() or "" for name in form.fields}
        data["title"] = "Cuba frees some of the 53"

        with self.write():
            response = self.client.post(change, data)
        self.assertEqual(response.status_code, 302)
        self.client.logout()

        self.assertEqual(Document.objects.get(pk=self.article.pk).title, data["title"])
        self.assertContains(self.assertRendered(url), "Cuba frees some of the 53")

    def test_a_bulk_recompute(self):
        # A claim approved by a bulk UPDATE sends no signal: the cached pages
        # stay as they were until the recompute (a bulk path) finds its
        # conflict and calls data_changed().
        claim = Claim(
            source=self.ccdhrn,
            topic=self.release,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.DENIES,
            quote="No prisoner has been freed",
            summary="None released",
            stated_on="2015-01-06",
            document=self.article,
        )
        claim.full_clean()
        claim.save()
        self.cache(reverse("claims:conflicts"), reverse("claims:list"))

        with self.write():
            Claim.objects.filter(pk=claim.pk).update(state=Claim.State.APPROVED)
        self.assertServedFromCache(reverse("claims:list"))

        with self.write():
            call_command("recompute_conflicts", verbosity=0)

        self.assertContains(
            self.assertRendered(reverse("claims:list")), "No prisoner has been freed"
        )
        self.assertContains(
            self.assertRendered(reverse("claims:conflicts")), "No prisoner has been freed"
        )

    def test_data_changed_bumps_once_per_transaction_and_only_after_commit(self):
        url = reverse("claims:list")
        self.cache(url)
        bumps = getattr(connection, page_cache.BUMPS, 0)

        with self.write():
            page_cache.data_changed()
            page_cache.data_changed()
            # Not yet committed: the cached page is still the current one.
            self.assertServedFromCache(url)

        self.assertEqual(getattr(connection, page_cache.BUMPS), bumps + 1)
        self.assertRendered(url)


@ON
class ApiReadsTests(PageCacheCase):
    """The API's anonymous reads share the pages' cache, keyed on Accept and the query."""

    def test_an_anonymous_list_and_record_are_served_from_the_cache(self):
        for url in (reverse("api:claim-list"), reverse("api:source-detail", args=[self.psaki.pk])):
            first = self.assertRendered(url)
            with self.assertNumQueries(1):
                second = self.assertServedFromCache(url)
            self.assertEqual(second.json(), first.json())
            self.assertEqual(second["Content-Type"], "application/json")

    def test_it_keys_on_the_query_string_and_the_accept_header(self):
        url = reverse("api:claim-list")
        self.read(url)
        one = self.client.get(url, {"page_size": 1})
        self.assertEqual(one[STATUS], "miss")
        self.assertEqual(len(one.json()["results"]), 1)
        indented = self.assertRendered(url, accept="application/json; indent=4")
        self.assertIn(b'\n    "count"', indented.content)
        self.assertNotIn(b"\n", self.assertServedFromCache(url).content)

    def test_an_accept_it_cannot_answer_is_a_406_never_a_stored_200(self):
        url = reverse("api:claim-list")
        self.read(url)
        self.assertServedFromCache(url)

        response = self.read(url, accept="text/html")

        self.assertEqual(response.status_code, 406)
        self.assertEqual(response.get(STATUS), "miss")

    def test_a_token_request_neither_reads_nor_fills_the_cache(self):
        url = reverse("api:claim-list")
        token = Token.objects.create(user=self.moderator)
        self.read(url)
        self.assertServedFromCache(url)

        with_token = self.read(url, authorization=f"Token {token.key}")
        bad_token = self.read(url, authorization="Token not-a-token")

        self.assertNotIn(STATUS, with_token)
        self.assertEqual(with_token.status_code, 200)
        self.assertEqual(bad_token.status_code, 401)

    def test_a_session_user_never_gets_a_cached_answer(self):
        url = reverse("api:claim-list")
        self.read(url)
        self.assertServedFromCache(url)

        self.client.force_login(self.editor)

        self.assertNotIn(STATUS, self.client.get(url))

    def test_a_write_through_the_api_shows_on_the_next_anonymous_read(self):
        detail = reverse("api:source-detail", args=[self.rubio.pk])
        for url in (detail, reverse("api:source-list")):
            self.read(url)
            self.assertServedFromCache(url)
        token = Token.objects.create(user=self.editor)

        with self.write():
            response = self.client.patch(
                detail,
                '{"name": "Sen. Marco Rubio"}',
                content_type="application/json",
                headers={"authorization": f"Token {token.key}"},
            )
        self.assertEqual(response.status_code, 200, response.content)

        self.assertEqual(self.assertRendered(detail).json()["name"], "Sen. Marco Rubio")
        listed = self.assertRendered(reverse("api:source-list")).json()["results"]
        self.assertIn("Sen. Marco Rubio", [source["name"] for source in listed])

    def test_a_conflict_resolved_on_the_web_shows_in_the_api(self):
        conflict = Conflict.objects.get()
        detail = reverse("api:conflict-detail", args=[conflict.pk])
        for url in (detail, reverse("api:conflict-list")):
            self.read(url)
            self.assertServedFromCache(url)

        self.client.force_login(self.moderator)
        with self.write():
            self.client.post(
                reverse("claims:conflict_resolve", args=[conflict.pk]),
                {
                    "outcome": Conflict.Outcome.A_RIGHT,
                    "rationale": "The Jan 12 list names 53 released.",
                    "evidence_url": "https://www.state.gov/list-of-53",
                },
            )
        self.client.logout()

        self.assertEqual(self.assertRendered(detail).json()["status"], "resolved")
        self.assertEqual(self.assertRendered(reverse("api:conflict-list")).json()["count"], 0)

    def test_a_stored_answer_carries_an_etag_and_answers_304_to_it(self):
        url = reverse("api:claim-list")
        etag = self.assertRendered(url)["ETag"]

        unchanged = self.read(url, if_none_match=etag)

        self.assertEqual(unchanged.status_code, 304)
        self.assertEqual(unchanged[STATUS], "hit")
        self.assertEqual(unchanged.content, b"")
        self.assertEqual(self.read(url, if_none_match='"other"').status_code, 200)

    def test_a_write_that_changes_the_answer_changes_its_etag(self):
        url = reverse("api:source-detail", args=[self.rubio.pk])
        etag = self.assertRendered(url)["ETag"]
        with self.write():
            self.rubio.name = "Sen. Marco Rubio"
            self.rubio.save()

        response = self.read(url, if_none_match=etag)

        self.assertEqual(response.status_code, 200)
        self.assertNotEqual(response["ETag"], etag)

    def test_a_client_that_accepts_gzip_gets_the_stored_gzip_bytes(self):
        url = reverse("api:conflict-list")
        plain = self.assertRendered(url)

        for response in (
            self.read(url, accept_encoding="gzip, deflate, br"),
            self.read(url, accept_encoding="gzip, deflate, br"),
        ):
            self.assertEqual(response["Content-Encoding"], "gzip")
            self.assertEqual(gzip.decompress(response.content), plain.content)
            self.assertLess(len(response.content), len(plain.content))
            self.assertEqual(int(response["Content-Length"]), len(response.content))
            self.assertEqual(response["ETag"], f"W/{plain['ETag']}")
            self.assertIn("Accept-Encoding", response["Vary"])
        self.assertEqual(response[STATUS], "hit")
        refused = self.assertServedFromCache(url, accept_encoding="gzip;q=0, identity")
        self.assertNotIn("Content-Encoding", refused)
        self.assertEqual(refused.content, plain.content)
        self.assertIn("Accept-Encoding", plain["Vary"])
        self.assertEqual(self.read(url, if_none_match=response["ETag"]).status_code, 304)

    def test_the_writing_routes_are_never_cached(self):
        conflict = Conflict.objects.get()
        response = self.read(reverse("api:conflict-resolve", args=[conflict.pk]))

        self.assertEqual(response.status_code, 405)
        self.assertNotIn(STATUS, response)


def csrf_page(request):
    template = engines["django"].from_string("<form method=post>{% csrf_token %}</form>")
    return HttpResponse(template.render({}, request))


def cookie_page(request):
    response = HttpResponse("chose a theme")
    response.set_cookie("theme", "dark")
    return response


def message_then_page(request):
    messages.info(request, "Thanks for the tip.")
    return HttpResponse("noted")


def messages_page(request):
    template = engines["django"].from_string("{% for m in messages %}{{ m }}{% endfor %}.")
    return HttpResponse(template.render({}, request))


def private_page(request):
    response = HttpResponse("yours only")
    response["Cache-Control"] = "private"
    return response


def missing_page(request):
    return HttpResponse("not here", status=404)


def varies_on_language(request):
    response = HttpResponse("hola")
    response["Vary"] = "Accept-Language"
    return response


urlpatterns = [
    path("csrf/", reader_view(csrf_page)),
    path("cookie/", reader_view(cookie_page)),
    path("message/", message_then_page),
    path("messages/", reader_view(messages_page)),
    path("private/", reader_view(private_page)),
    path("missing/", reader_view(missing_page)),
    path("language/", reader_view(varies_on_language)),
    path("plain/", reader_view(lambda request: HttpResponse("plain"))),
    path("unmarked/", lambda request: HttpResponse("not a reading page")),
]


@ON
@override_settings(ROOT_URLCONF=__name__)
class NeverStoredTests(PageCacheCase):
    """Responses that must not be shared between anonymous readers are rendered every time."""

    def test_a_plain_reading_page_is_stored(self):
        self.assertRendered("/plain/")
        self.assertServedFromCache("/plain/")

    def test_responses_that_must_not_be_shared_are_never_stored(self):
        for url in ("/csrf/", "/cookie/", "/private/", "/language/"):
            with self.subTest(url=url):
                self.client.cookies.clear()
                self.assertRendered(url)
                self.client.cookies.clear()
                self.assertRendered(url)

    def test_an_error_is_never_stored(self):
        for _ in range(2):
            response = self.read("/missing/")
            self.assertEqual(response.status_code, 404)
            self.assertEqual(response[STATUS], "miss")

    def test_a_page_not_marked_as_a_reading_page_is_left_alone(self):
        response = self.read("/unmarked/")

        self.assertNotIn(STATUS, response)

    def test_a_reader_with_a_waiting_message_gets_a_rendered_page(self):
        self.assertRendered("/messages/")
        self.read("/message/")

        response = self.read("/messages/")

        self.assertNotIn(STATUS, response)
        self.assertContains(response, "Thanks for the tip.")
        # Shown once; the stored page, without it, serves the next read.
        self.assertNotContains(self.assertServedFromCache("/messages/"), "Thanks")


class SwitchedOffTests(PageCacheCase):
    @override_settings(PAGE_CACHE_SECONDS=0)
    def test_nothing_is_cached_when_the_ttl_is_zero(self):
        for _ in range(2):
            response = self.read(reverse("claims:list"))
            self.assertNotIn(STATUS, response)

    @ON
    @override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                            "LOCATION": "redis://127.0.0.1:9/0"}}
    )  # fmt: skip
    def test_a_failing_cache_serves_pages_uncached(self):
        with self.assertLogs("crosscheck.cache", "ERROR"):
            response = self.read(reverse("claims:list"))
        self.assertContains(response, "They have already released some of the prisoners")
        self.assertNotIn(STATUS, response)

        # A write still succeeds; the failed bump is logged.
        with self.assertLogs("crosscheck.cache", "ERROR"), self.write():
            self.psaki_note.hide(by=self.moderator, reason="Wrong person.")

    def test_the_database_cache_table_exists(self):
        self.assertEqual(cache.__class__.__name__, "ConnectionProxy")
        self.assertIn(page_cache.TABLE, connection.introspection.table_names())


@ON
class WorkerCopiesTests(JanuaryCast, TransactionTestCase):
    """Outside a transaction, as under gunicorn, each worker keeps its own copies of pages."""

    def setUp(self) -> None:
        # TransactionTestCase empties the tables after each test: build the cast each time.
        self.setUpTestData()
        page_cache.LOCAL.clear()

    def test_a_worker_serves_its_own_copy_after_reading_only_the_generation(self):
        url = reverse("claims:list")
        self.assertEqual(self.client.get(url)[STATUS], "miss")

        # One query, the generation: the page itself is this worker's copy.
        with self.assertNumQueries(1):
            response = self.client.get(url)

        self.assertEqual(response[STATUS], "hit")
        self.assertContains(response, "They have already released some of the prisoners")

    def test_another_worker_serves_the_shared_copy(self):
        url = reverse("claims:list")
        first = self.client.get(url)
        page_cache.LOCAL.clear()  # as in a worker that never rendered it

        with self.assertNumQueries(1):
            response = self.client.get(url)

        self.assertEqual(response[STATUS], "hit")
        self.assertEqual(response.content, first.content)

    def test_a_committed_write_shows_on_the_next_read_in_every_worker(self):
        url = reverse("claims:list")
        self.client.get(url)
        self.assertEqual(self.client.get(url)[STATUS], "hit")

        self.psaki.name = "Jennifer Psaki"
        self.psaki.save()

        response = self.client.get(url)
        self.assertEqual(response[STATUS], "miss")
        self.assertContains(response, "Jennifer Psaki")


@ON
class FastPathTests(RoleCast, JanuaryCast, TransactionTestCase):
    """A repeated anonymous GET is answered whole by PageCacheFastPath, before the session runs.

    Outside a transaction, as under gunicorn: the fast path keeps its answers
    in the worker's copies of pages, which a transaction turns off.
    """

    def setUp(self) -> None:
        restore_roles()
        self.setUpTestData()
        page_cache.LOCAL.clear()

    def answered_early(self, response) -> bool:
        """Whether the request never reached the session and authentication middleware."""
        return not hasattr(response.wsgi_request, "user")

    def settle(self, url: str, **headers):
        """Read url until it is answered early: after a hit the long way, no later than third.

        Return the last answer that went the long way (a hit) and the early one.
        """
        responses = [self.client.get(url, headers=headers) for _ in range(3)]
        early = [self.answered_early(r) for r in responses]
        self.assertEqual(early[0], False, url)
        self.assertEqual(early[2], True, url)
        long_way = responses[early.index(True) - 1]
        self.assertEqual(long_way[STATUS], "hit")
        return long_way, responses[2]

    def test_the_third_read_is_answered_early_with_the_same_bytes_and_headers(self):
        url = reverse("claims:list")
        long_way, early = self.settle(url)

        self.assertEqual(early.status_code, 200)
        self.assertEqual(early.content, long_way.content)
        without_id = lambda r: {k: v for k, v in r.items() if k != "X-Request-ID"}  # noqa: E731
        self.assertEqual(without_id(early), without_id(long_way))
        # Still this request's own id, from the middleware outside.
        self.assertNotEqual(early["X-Request-ID"], long_way["X-Request-ID"])
        self.assertIn("Content-Security-Policy", early)
        self.assertEqual(early[STATUS], "hit")

    def test_it_reads_only_the_generation(self):
        url = reverse("claims:home")
        self.settle(url)

        with self.assertNumQueries(1):
            self.assertTrue(self.answered_early(self.client.get(url)))

    def test_gzip_plain_htmx_and_each_accept_get_their_own_answer(self):
        url = reverse("claims:list") + "?stance=affirms"
        _, page = self.settle(url)
        _, fragment = self.settle(url, HX_Request="true")
        _, zipped = self.settle(url, accept_encoding="gzip, deflate, br, zstd")
        api = reverse("api:claim-list")
        _, compact = self.settle(api)
        _, indented = self.settle(api, accept="application/json; indent=4")

        self.assertContains(page, "<html")
        self.assertNotContains(fragment, "<html")
        self.assertEqual(zipped["Content-Encoding"], "gzip")
        self.assertEqual(gzip.decompress(zipped.content), page.content)
        self.assertNotIn("Content-Encoding", page)
        self.assertNotIn(b"\n", compact.content)
        self.assertIn(b'\n    "count"', indented.content)
        self.assertEqual(indented.json(), compact.json())

    def test_a_write_shows_on_the_next_read(self):
        url = reverse("claims:list")
        self.settle(url)

        self.psaki.name = "Jennifer Psaki"
        self.psaki.save()

        response = self.client.get(url)
        self.assertEqual(response[STATUS], "miss")
        self.assertContains(response, "Jennifer Psaki")

    def test_another_workers_write_shows_on_the_next_read(self):
        url = reverse("api:claim-list")
        self.settle(url)
        count = Claim.objects.public().count()
        Claim.objects.filter(pk=self.some_released.pk).update(state=Claim.State.RETRACTED)

        page_cache.new_generation()  # as that worker's data_changed() does after its commit

        response = self.client.get(url)
        self.assertEqual(response[STATUS], "miss")
        self.assertEqual(response.json()["count"], count - 1)

    def test_a_logged_in_user_goes_the_long_way_and_gets_their_own_page(self):
        url = reverse("claims:list")
        self.settle(url)

        self.client.force_login(self.editor)
        response = self.client.get(url)

        self.assertNotIn(STATUS, response)
        self.assertContains(response, "Log out ed")
        self.assertTrue(response.wsgi_request.user.is_authenticated)

    def test_a_token_a_message_a_stale_csrf_cookie_a_304_and_head_go_the_long_way(self):
        url = reverse("api:claim-list")
        _, early = self.settle(url)
        token = Token.objects.create(user=self.moderator)

        with_token = self.client.get(url, headers={"authorization": f"Token {token.key}"})
        self.assertNotIn(STATUS, with_token)
        self.assertEqual(
            self.client.get(url, headers={"authorization": "Token x"}).status_code, 401
        )
        not_modified = self.client.get(url, headers={"if_none_match": early["ETag"]})
        self.assertEqual(not_modified.status_code, 304)
        self.assertFalse(self.answered_early(not_modified))
        self.assertFalse(self.answered_early(self.client.head(url)))
        self.client.cookies["messages"] = "anything"
        self.assertFalse(self.answered_early(self.client.get(url)))
        del self.client.cookies["messages"]
        # A CSRF cookie of an older format is renewed by the CSRF middleware: the long way.
        self.client.cookies[settings.CSRF_COOKIE_NAME] = "x" * 64
        self.assertFalse(self.answered_early(self.client.get(url)))
        self.client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
        self.assertTrue(self.answered_early(self.client.get(url)))

    def test_reading_behind_a_login_answers_nothing_early(self):
        url = reverse("claims:list")
        self.settle(url)

        with override_settings(READING_REQUIRES_LOGIN=True):
            response = self.client.get(url)

        self.assertEqual(response.status_code, 302)

    if connection.vendor == "postgresql":

        def test_a_connection_that_died_while_idle_is_checked_and_replaced(self):
            url = reverse("claims:list")
            _, early = self.settle(url)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with connections.create_connection("default").cursor() as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            # A new request in a worker: the health check is owed (the test client skips this).
            connection.health_check_done = False

            with self.assertLogs("crosscheck.cache", "WARNING"):
                response = self.client.get(url)

            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.content, early.content)
            self.assertEqual(response[STATUS], "hit")


@override_settings(VALUE_CACHE_SECONDS=600)
class RememberedValuesTests(JanuaryCast, TransactionTestCase):
    """A value derived from all the data (the claims' languages) is kept until the next write."""

    def setUp(self) -> None:
        self.setUpTestData()

    def test_it_is_computed_once_then_kept_until_a_write(self):
        calls = []

        def languages():
            calls.append(1)
            return sorted(set(Claim.objects.values_list("language", flat=True)))

        self.assertEqual(page_cache.remembered("languages", languages), ["en"])
        self.assertEqual(page_cache.remembered("languages", languages), ["en"])
        self.assertEqual(len(calls), 1)

        self.some_released.language = "es"
        self.some_released.save()

        self.assertEqual(page_cache.remembered("languages", languages), ["en", "es"])
        self.assertEqual(len(calls), 2)

    @override_settings(VALUE_CACHE_SECONDS=0)
    def test_it_is_computed_every_time_when_switched_off(self):
        calls = []
        for _ in range(2):
            page_cache.remembered("languages", lambda: calls.append(1))
        self.assertEqual(len(calls), 2)

    def test_the_claims_language_filter_offers_a_new_language_on_the_next_read(self):
        url = reverse("claims:list")
        self.client.get(url)  # The languages are kept now.
        self.some_released.language = "es"
        self.some_released.save()

        response = self.client.get(url, {"language": "es"})

        self.assertEqual([c.pk for c in response.context["page"]], [self.some_released.pk])


@override_settings(VALUE_CACHE_SECONDS=600)
class RememberedCountsTests(JanuaryCast, TransactionTestCase):
    """An API list's count (api.conventions.RememberedCountPaginator) is kept until a write."""

    def setUp(self) -> None:
        restore_roles()
        self.setUpTestData()

    def counted(self, url: str) -> tuple[int, bool]:
        """Return the list's count, and whether this request counted it in the database."""
        with CaptureQueriesContext(connection) as queries:
            count = self.client.get(url).json()["count"]
        return count, any("COUNT(" in q["sql"] for q in queries.captured_queries)

    def test_a_list_is_counted_once_then_again_after_a_bulk_write(self):
        url = reverse("api:claim-list")
        count, counted = self.counted(url)
        self.assertTrue(counted)
        self.assertEqual(count, Claim.objects.public().count())
        self.assertEqual(self.counted(url), (count, False))
        self.assertEqual(self.counted(url + "?stance=denies")[1], True)

        Claim.objects.filter(pk=self.some_released.pk).update(state=Claim.State.RETRACTED)
        page_cache.data_changed()

        self.assertEqual(self.counted(url), (count - 1, True))

    def test_a_filter_no_row_can_match_counts_nothing(self):
        url = reverse("api:conflict-list") + "?claim=241887745819393163264"

        self.assertEqual(self.counted(url), (0, False))

    def test_a_count_follows_a_model_write(self):
        url = reverse("api:conflict-list")
        count, _ = self.counted(url)
        conflict = Conflict.objects.open().first()
        conflict.status = Conflict.Status.DISMISSED
        conflict.save()

        self.assertEqual(self.counted(url), (count - 1, True))


class LocalCopiesTests(SimpleTestCase):
    @override_settings(PAGE_CACHE_LOCAL_MB=1, PAGE_CACHE_SECONDS=600)
    def test_an_answer_is_kept_only_with_its_page_and_its_generation(self):
        copies = page_cache.LocalCopies()
        copies.put("a", "g1", ([], b"page", b"zipped"))
        copies.keep_answer(("request",), "a", "g1", ({}, b"page"))
        copies.keep_answer(("other",), "a", "g0", ({}, b"page"))  # a page since replaced

        self.assertTrue(copies.may_answer(("request",)))
        self.assertEqual(copies.answer(("request",), "g1"), ({}, b"page"))
        self.assertIsNone(copies.answer(("other",), "g1"))
        self.assertIsNone(copies.answer(("request",), "g2"))
        self.assertFalse(copies.may_answer(("request",)))
        copies.put("a", "g2", ([], b"new page", b"zipped"))
        self.assertIsNone(copies.answer(("request",), "g2"))

    @override_settings(PAGE_CACHE_LOCAL_MB=1, PAGE_CACHE_SECONDS=600)
    def test_it_keeps_pages_within_its_budget_dropping_the_least_recently_used(self):
        copies = page_cache.LocalCopies()
        page = ([], b"x" * 400_000)
        copies.put("a", "g1", page)
        copies.put("b", "g1", page)
        copies.get("a", "g1")
        copies.put("c", "g1", page)

        self.assertIsNotNone(copies.get("a", "g1"))
        self.assertIsNone(copies.get("b", "g1"))
        self.assertIsNotNone(copies.get("c", "g1"))

    @override_settings(PAGE_CACHE_LOCAL_MB=1, PAGE_CACHE_SECONDS=600)
    def test_it_serves_a_copy_only_under_the_generation_it_was_stored_with(self):
        copies = page_cache.LocalCopies()
        copies.put("a", "g1", ([], b"page"))

        self.assertIsNone(copies.get("a", "g2"))
        self.assertNotIn("a", copies)

    @override_settings(PAGE_CACHE_LOCAL_MB=1, PAGE_CACHE_SECONDS=0)
    def test_it_never_serves_a_copy_past_its_ttl(self):
        copies = page_cache.LocalCopies()
        copies.put("a", "g1", ([], b"page"))

        self.assertIsNone(copies.get("a", "g1"))
