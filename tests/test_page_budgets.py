"""
Every reading page has a budget: at most so many SQL queries and so many bytes.

The ground is `generate_volume --claims 1200 --seed 1` (1,111 public claims,
101 open conflicts, 46 pending claims, 14 sources), where each list has more
rows than it shows: the claims and conflicts lists and the API fill their
50-row pages, the moderation queue its 25, the hottest topic and the largest
source show dozens of claims, the source list its 14 rows, and the editor
owns 60 claims in the works. A page that ran one query per row would run 14
to 60 queries more than its budget allows, so a budget that holds here holds
at any size. Where the page takes a page size (the API's `page_size`) the
test also reads 10 and 50 rows a page and asserts the same count; "my claims"
is not paged, so it is read owning 10 and 60 claims, again the same count.

The moderation queue previews what each of its claims would conflict with
if approved: for the whole page at once (claims/detection.py,
`preview_approvals`), in one query, or two when a claim is not later than its
source's latest word on the variable, so its count no longer grows with its rows.

The budgets are what main's code gives (2026-12-04, issue 16): the most
queries of SQLite's and PostgreSQL's runs, and main's size plus 20% rounded
up to 10 KB, never more than the issue's 200 KB (SIZE_LIMIT) but for the
pages of OVER_THE_LIMIT_ON_MAIN. It is one table, BUDGETS below: lower a row
when a page gets cheaper. Raised by a fixed amount since, each for a reason
that does not grow with the rows: the board's paged topic choices (+1), the
claim page's bounded conflicts (+1), the source page's ids-first paging of
both lists and its speakers read as a list (+3), "my claims" paged per state
(+1), the claims list's ids-first page (+1: the page's ids, then their cards,
so that PostgreSQL plans the eight-table join for 50 ids, not for the search),
the sources list's claims as a party counted for the rows shown in one
query rather than in three subqueries per row (+1; the source page's too, which
reads its conflicts' ids once for their count and page, -1); the hottest
topic's size lowered to its bounded page's. Lowered
the same day: the claim and conflict pages read every source's notes in one
query, the claim page its conflicts' order and count in one.

Logged-in rows read as tests.roles users (the moderator, the editor);
anonymous rows as nobody. The page cache is off in tests (DEBUG), so every
read renders.
"""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source
from tests.cast import publish_everything
from tests.roles import RoleCast

SIZE_LIMIT = 200_000  # bytes: issue 16's "every page's size < 200 KB"
CLAIMS = 1200
EDITOR_CLAIMS = 60

ANONYMOUS, MODERATOR, EDITOR = "anonymous", "moderator", "editor"
# Pages main's code serves over SIZE_LIMIT even on this small ground: their
# budget is main's size for now. Take a page out when it is paged below the limit.
# Pages allowed over SIZE_LIMIT: none since the topic page is bounded.
OVER_THE_LIMIT_ON_MAIN: set[str] = set()

# (page, who reads it, max queries, max bytes). The page is a path, with
# {hot}, {median_topic}, {claim}, {conflict}, {median_source}, {largest_source}
# and {detainee} filled from the data (see targets()).
BUDGETS = [
    ("/", ANONYMOUS, 8, 80_000),
    ("/", MODERATOR, 13, 80_000),
    ("/claims/", ANONYMOUS, 10, 110_000),
    ("/claims/", MODERATOR, 15, 110_000),
    ("/claims/?q=released", ANONYMOUS, 11, 110_000),
    ("/claims/?q=released", MODERATOR, 16, 110_000),
    ("/claims/?q=camaguey+desk", ANONYMOUS, 10, 70_000),
    ("/claims/?q=camaguey+desk", MODERATOR, 15, 70_000),
    ("/claims/?q=havana+d", ANONYMOUS, 11, 110_000),
    ("/claims/?q=havana+d", MODERATOR, 16, 110_000),
    ("/claims/?topic={hot}&q=released", ANONYMOUS, 12, 70_000),
    ("/claims/?topic={hot}&q=released", MODERATOR, 17, 70_000),
    ("/conflicts/", ANONYMOUS, 9, 180_000),
    ("/conflicts/", MODERATOR, 14, 180_000),
    ("/detainees/board/", ANONYMOUS, 3, 20_000),
    ("/detainees/board/", MODERATOR, 8, 20_000),
    ("/topics/{hot}/", ANONYMOUS, 15, 170_000),  # 135,186 B; 307,541 B before its bounds
    ("/topics/{hot}/", MODERATOR, 21, 170_000),  # 136,279 B
    ("/topics/{median_topic}/", ANONYMOUS, 16, 60_000),
    ("/topics/{median_topic}/", MODERATOR, 22, 60_000),
    ("/claims/{claim}/", ANONYMOUS, 8, 20_000),  # notes in one query (claimpage)
    ("/claims/{claim}/", MODERATOR, 13, 20_000),
    ("/conflicts/{conflict}/", ANONYMOUS, 2, 10_000),  # notes in one query
    ("/conflicts/{conflict}/", MODERATOR, 8, 10_000),
    ("/sources/{median_source}/", ANONYMOUS, 12, 50_000),
    ("/sources/{median_source}/", MODERATOR, 18, 50_000),
    ("/sources/{largest_source}/", ANONYMOUS, 12, 60_000),
    ("/sources/{largest_source}/", MODERATOR, 18, 60_000),
    ("/detainees/{detainee}/", ANONYMOUS, 8, 80_000),
    ("/detainees/{detainee}/", MODERATOR, 14, 80_000),
    ("/sources/", ANONYMOUS, 4, 20_000),
    ("/sources/", MODERATOR, 9, 20_000),
    ("/api/claims/", ANONYMOUS, 2, 60_000),
    ("/api/claims/", MODERATOR, 4, 60_000),
    ("/api/conflicts/", ANONYMOUS, 3, 140_000),
    ("/api/conflicts/", MODERATOR, 5, 140_000),
    ("/moderation/", MODERATOR, 10, 100_000),
    ("/me/", EDITOR, 7, 70_000),
]


class PageBudgetTests(RoleCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        call_command("generate_volume", claims=CLAIMS, seed=1, stdout=io.StringIO())
        publish_everything()
        cls.owned = give_claims(cls.editor, EDITOR_CLAIMS)
        cls.targets = targets()

    def get(self, path: str, who: str):
        """GET path as who; return (response, queries run)."""
        self.client.logout()
        if who != ANONYMOUS:
            self.client.force_login(getattr(self, who))
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(path)
        return response, len(queries)

    def read(self, path: str, who: str) -> tuple[int, int, int]:
        """GET path as who; return (status, queries, bytes)."""
        response, queries = self.get(path, who)
        return response.status_code, queries, len(response.content)

    def test_every_page_keeps_to_its_budget(self) -> None:
        for page, who, max_queries, max_bytes in BUDGETS:
            path = page.format(**self.targets)
            with self.subTest(path=path, who=who):
                status, queries, size = self.read(path, who)
                self.assertEqual(status, 200)
                self.assertLessEqual(queries, max_queries)
                self.assertLessEqual(size, max_bytes)

    def test_the_budgets_stay_under_the_size_limit(self) -> None:
        for page, who, _, max_bytes in BUDGETS:
            if page not in OVER_THE_LIMIT_ON_MAIN:
                with self.subTest(page=page, who=who):
                    self.assertLessEqual(max_bytes, SIZE_LIMIT)

    def test_the_ground_fills_every_page(self) -> None:
        """Each list has more rows than one page: a query per row would show."""
        self.assertGreater(Claim.objects.public().count(), 50)
        self.assertGreater(Conflict.objects.open().count(), 50)
        self.assertGreater(Source.objects.count(), 10)
        self.assertGreater(Claim.objects.filter(state=Claim.State.PENDING).count(), 25)
        self.assertEqual(self.owned, EDITOR_CLAIMS)

    def test_the_api_runs_as_many_queries_for_10_rows_as_for_50(self) -> None:
        for path in ("/api/claims/", "/api/conflicts/"):
            for who in (ANONYMOUS, MODERATOR):
                with self.subTest(path=path, who=who):
                    ten, small = self.get(f"{path}?page_size=10", who)
                    fifty, large = self.get(f"{path}?page_size=50", who)
                    self.assertEqual(len(ten.json()["results"]), 10)
                    self.assertEqual(len(fifty.json()["results"]), 50)
                    self.assertEqual(large, small)

    def test_my_claims_runs_as_many_queries_for_10_claims_as_for_60(self) -> None:
        response, large = self.get("/me/", EDITOR)
        self.assertEqual(shown_on_dashboard(response), EDITOR_CLAIMS)
        keep = list(
            Claim.objects.filter(created_by=self.editor).order_by("pk").values_list("pk", flat=True)
        )[:10]
        Claim.objects.filter(created_by=self.editor).exclude(pk__in=keep).update(created_by=None)
        response, small = self.get("/me/", EDITOR)
        self.assertEqual(shown_on_dashboard(response), 10)
        self.assertEqual(large, small)


def shown_on_dashboard(response) -> int:
    return sum(len(response.context[state]) for state in ("drafts", "pending", "rejected"))


def give_claims(user, count: int) -> int:
    """Make user the author of count pending or rejected claims (their "my claims")."""
    ids = list(
        Claim.objects.filter(state__in=(Claim.State.PENDING, Claim.State.REJECTED))
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    return Claim.objects.filter(pk__in=ids).update(created_by=user)


def targets() -> dict[str, object]:
    """The pages' targets, chosen as bench/pages.py chooses them at a million claims."""

    def by_claims(queryset):
        return queryset.annotate(n=Count("claims")).filter(n__gt=0).order_by("n", "pk")

    topics = by_claims(Topic.objects.all())
    sources = by_claims(Source.objects.all())
    conflict = Conflict.objects.open().order_by("pk").values("pk", "claim_a").first()
    return {
        "hot": topics.order_by("-n", "pk").values_list("slug", flat=True).first(),
        "median_topic": topics.values_list("slug", flat=True)[topics.count() // 2],
        "claim": conflict["claim_a"],
        "conflict": conflict["pk"],
        "median_source": sources.values_list("pk", flat=True)[sources.count() // 2],
        "largest_source": sources.order_by("-n", "pk").values_list("pk", flat=True).first(),
        "detainee": by_claims(Detainee.objects.all())
        .order_by("-n", "pk")
        .values_list("pk", flat=True)
        .first(),
    }
