"""Atom feeds a journalist subscribes to: new open conflicts, and newly approved claims.

- All open conflicts (/conflicts/feed.atom), a topic's (/topics/<slug>/conflicts.atom),
  a source's (/sources/<pk>/conflicts.atom): open conflicts only, newest opened
  first. A conflict that closes leaves the feed; one reopened comes back with
  its first opening date and a later `updated`. A source's feed holds the
  conflicts its own claims are in, as its page lists them: a department's
  feed does not carry its spokeswoman's.
- A topic's approved claims (/topics/<slug>/claims.atom): newest approved
  first (a restored claim counts from its restoring). Pending, rejected and
  retracted claims are not public, so never in a feed.
- At most FEED_LIMIT entries, in a constant number of queries: one for the
  entries, one more for the topic or source a feed is about.
- An entry's title is plain text (Atom's default type), so a quote's `<` is
  shown, not obeyed; its summary is HTML from an autoescaped template, with
  absolute links. Entry ids are the permalinks of the conflict or the claim,
  so a conflict in several feeds is one entry to a reader. Each feed's own id
  is its address (two feeds may be about the same topic page).
- A feed's author is the newsroom (NEWSROOM_NAME); a claim's entry names its
  speaker as author, as a reader would say "by Jen Psaki".
- Feeds are reading pages: with READING_REQUIRES_LOGIN they redirect to the
  login page like every other page, so a newsroom that keeps its research
  private keeps its feeds private too (a feed reader then needs the browser's
  session; per-user feed tokens are not offered). GET and HEAD only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe

from claims.models import Claim, Conflict, Topic
from crosscheck.access import reader_view
from crosscheck.text import printable
from sources.models import Source

FEED_LIMIT = 50


class PrintableXMLGenerator(SimplerXMLGenerator):
    """An XML writer that shows each character XML cannot hold as U+FFFD.

    Django's refuses one with an exception (a 500): a claim stored with a
    control character, before the text policy refused them, broke every feed
    it appeared in. Text and attribute values (a category's term) both pass
    through `crosscheck.text.printable`.
    """

    def characters(self, content) -> None:
        super().characters(printable(content))

    def startElement(self, name, attrs) -> None:
        super().startElement(name, {key: printable(value) for key, value in attrs.items()})


# The `updated` of a feed with no entries. Django gives the time of the
# request, so an empty feed changed on every fetch and feed readers fetched it
# again and again. An empty feed has nothing that was updated: a fixed epoch
# is stable, and any entry that arrives later is newer than it.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)


class PrintableAtom1Feed(Atom1Feed):
    def latest_post_date(self) -> datetime:
        if not any(item.get("updateddate") or item.get("pubdate") for item in self.items):
            return EMPTY_FEED_UPDATED
        return super().latest_post_date()

    def write(self, outfile, encoding) -> None:
        # Atom1Feed.write, with the writer above.
        handler = PrintableXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")


class CrosscheckFeed(Feed):
    """What every feed shares: Atom, the newsroom as author, the feed's address as its id."""

    feed_type = PrintableAtom1Feed

    def author_name(self) -> str:
        return settings.NEWSROOM_NAME

    def get_feed(self, obj, request: HttpRequest):
        """Build the feed, with every address of this site on SITE_URL, not the Host header.

        Django builds the feed's, and each entry's, link and id from the
        request's host: the same entry read as 127.0.0.1 and as localhost was
        two entries to a feed reader.
        """
        feed = super().get_feed(obj, request)
        origin = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"

        def canonical(url):
            if isinstance(url, str) and url.startswith(origin):
                return settings.SITE_URL + url[len(origin) :]
            return url

        for key in ("link", "feed_url"):
            feed.feed[key] = canonical(feed.feed[key])
        feed.feed["id"] = feed.feed["feed_url"]
        for item in feed.items:
            for key in ("link", "unique_id"):
                item[key] = canonical(item[key])
        return feed

    def get_context_data(self, **kwargs) -> dict:
        return {"obj": kwargs["item"], "base": settings.SITE_URL}


class ConflictsFeed(CrosscheckFeed):
    """Open conflicts, newest opened first: who says what against whom."""

    description_template = "claims/feeds/conflict.html"

    def conflicts(self, obj) -> QuerySet[Conflict]:
        return Conflict.objects.open()

    def items(self, obj) -> QuerySet[Conflict]:
        return self.conflicts(obj).for_display().order_by("-opened_at", "-pk")[:FEED_LIMIT]

    def item_title(self, conflict: Conflict) -> str:
        """Return "Gap: Jen Psaki (U.S. Department of State): Some released — Elizardo …"."""
        a, b = conflict.claim_a, conflict.claim_b
        return (
            f"{conflict.get_kind_display()}: {a.source.speaker_line}: {a.summary}"
            f" — {b.source.speaker_line}: {b.summary}"
        )

    def item_pubdate(self, conflict: Conflict):
        return conflict.opened_at

    def item_updateddate(self, conflict: Conflict):
        return max(conflict.opened_at, conflict.status_changed_at)

    def item_categories(self, conflict: Conflict) -> list[str]:
        return [conflict.get_kind_display(), conflict.topic.title]


class OpenConflictsFeed(ConflictsFeed):
    def title(self) -> str:
        return f"New open conflicts · {settings.NEWSROOM_NAME}"

    def subtitle(self) -> str:
        return (
            "Pairs of approved claims that cannot both be right, "
            "or where one source has no information."
        )

    def link(self) -> str:
        return reverse("claims:conflicts")


class TopicConflictsFeed(ConflictsFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Topic:
        return get_object_or_404(Topic.objects.visible_to(request.user), slug=slug)

    def title(self, topic: Topic) -> str:
        return f"Open conflicts on “{topic.title}” · {settings.NEWSROOM_NAME}"

    def subtitle(self, topic: Topic) -> str:
        return topic.question

    def link(self, topic: Topic) -> str:
        return topic.get_absolute_url()

    def conflicts(self, topic: Topic) -> QuerySet[Conflict]:
        return Conflict.objects.open().filter(topic=topic)


class SourceConflictsFeed(ConflictsFeed):
    def get_object(self, request: HttpRequest, pk: int) -> Source:
        return get_object_or_404(Source.objects.visible_to(request.user), pk=pk)

    def title(self, source: Source) -> str:
        return f"Open conflicts involving {source.name} · {settings.NEWSROOM_NAME}"

    def link(self, source: Source) -> str:
        return source.get_absolute_url()

    def conflicts(self, source: Source) -> QuerySet[Conflict]:
        return Conflict.objects.open().filter(Q(claim_a__source=source) | Q(claim_b__source=source))


class TopicClaimsFeed(CrosscheckFeed):
    """A topic's approved claims, newest approved first."""

    description_template = "claims/feeds/claim.html"

    def get_object(self, request: HttpRequest, slug: str) -> Topic:
        return get_object_or_404(Topic.objects.visible_to(request.user), slug=slug)

    def title(self, topic: Topic) -> str:
        return f"New claims on “{topic.title}” · {settings.NEWSROOM_NAME}"

    def subtitle(self, topic: Topic) -> str:
        return topic.question

    def link(self, topic: Topic) -> str:
        return topic.get_absolute_url()

    def items(self, topic: Topic) -> QuerySet[Claim]:
        # Claims imported as approved have no state_changed_at: oldest, after the rest.
        return (
            Claim.objects.public()
            .filter(topic=topic)
            .for_display()
            .with_standing()
            .order_by(F("state_changed_at").desc(nulls_last=True), "-pk")[:FEED_LIMIT]
        )

    def item_title(self, claim: Claim) -> str:
        return f"{claim.source.speaker_line}: {claim.summary}"

    def item_author_name(self, claim: Claim) -> str:
        return claim.source.speaker_line

    def item_author_link(self, claim: Claim) -> str | None:
        return claim.source.url or None

    def item_pubdate(self, claim: Claim):
        return claim.state_changed_at or claim.created_at

    def item_updateddate(self, claim: Claim):
        return max(claim.updated_at, self.item_pubdate(claim))

    def item_categories(self, claim: Claim) -> list[str]:
        return [claim.get_kind_display(), claim.source.get_kind_display()]


def reading_feed(feed: Feed) -> Callable[..., HttpResponse]:
    """Serve a feed as a reading page: GET or HEAD, behind login when reading requires it."""
    return require_safe(reader_view(feed))


open_conflicts = reading_feed(OpenConflictsFeed())
topic_conflicts = reading_feed(TopicConflictsFeed())
source_conflicts = reading_feed(SourceConflictsFeed())
topic_claims = reading_feed(TopicClaimsFeed())
