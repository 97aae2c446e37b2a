"""A claim's fact check as schema.org ClaimReview: the JSON-LD that search engines read.

Choices where schema.org and the issue leave room:

- Only an approved claim with a verdict gets a review. The verdict comes
  from a moderator's resolution (Claim.refresh_verdict); a retracted claim
  keeps its permalink but is withdrawn, so it publishes no review.
- The review is the newest resolved conflict the claim is in, the one its
  verdict comes from: its date is `datePublished` (the day, in TIME_ZONE)
  and its rationale is `reviewBody`.
- `claimReviewed` is the one-line summary, not the quote: consumers want "a
  short summary of the claim being evaluated"; a quote may run to 5,000
  characters. The verbatim quote is the `text` of the reviewed Claim; reported
  speech (a paraphrase) is not the speaker's words, so such a Claim has no
  `text`, only its summary as `claimReviewed`.
- The rating follows the common 1 (false) to 5 (true) scale: confirmed is 5,
  "True"; refuted is 1, "False". Unverified is no point on a true–false
  scale, so it has no ratingValue, only its name, "Unverified" (consumers
  are told to omit the number when it does not apply).
- The claim's author is a Person when the source is an official or a
  legislator, or speaks for a body (Jen Psaki for the State Department,
  Elizardo Sanchez for the CCDHRN), and then carries that body as its
  affiliation; otherwise an Organization.
- No `firstAppearance`, as the app does not know where a statement was first
  made.
- URLs are absolute, on the canonical site address (SITE_URL), never the
  request's Host header, so the review's `url` is the page's one permalink
  whatever name or proxy served it. The newsroom is NEWSROOM_NAME, at
  NEWSROOM_URL or else this app's home page.
- `appearance` is the claim's own citation link when it has one (titled with
  its document, if any), else its document's URL: a document without a URL
  still appears at the citation. Without either link there is none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from claims.models import Claim, Conflict
from sources.models import Source

# The rating a verdict publishes: (ratingValue on 1..5, or None; alternateName).
RATINGS = {
    Claim.Verdict.CONFIRMED: (5, "True"),
    Claim.Verdict.REFUTED: (1, "False"),
    Claim.Verdict.UNVERIFIED: (None, "Unverified"),
}
BEST_RATING, WORST_RATING = 5, 1

PERSON_KINDS = {Source.Kind.OFFICIAL, Source.Kind.LEGISLATOR}

# What json_script escapes, so that no text closes the <script> element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def resolution_of(claim: Claim, conflicts: Iterable[Conflict]) -> Conflict | None:
    """Return the resolved conflict the verdict comes from: the newest, as in refresh_verdict."""
    resolved = [c for c in conflicts if c.status == Conflict.Status.RESOLVED]
    return max(resolved, key=lambda c: (c.status_changed_at, c.pk), default=None)


def claim_review(request: HttpRequest, claim: Claim, conflicts: Iterable[Conflict]) -> dict | None:
    """Return the claim's ClaimReview as a JSON-LD dict, or None when it has no published verdict.

    `conflicts` are the conflicts the claim is in, as the claim page already
    loads them: finding the resolution costs no query.
    """
    if claim.state != Claim.State.APPROVED or claim.verdict not in RATINGS:
        return None
    resolution = resolution_of(claim, conflicts)
    if resolution is None:
        return None
    value, label = RATINGS[claim.verdict]
    # Google's ClaimReview guidelines read the rating's `name` (as well as
    # `alternateName`): "True", "False", "Unverified".
    rating: dict = {"@type": "Rating", "name": label, "alternateName": label}
    if value is not None:
        rating |= {"ratingValue": value, "bestRating": BEST_RATING, "worstRating": WORST_RATING}
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        # On SITE_URL, not the request's host: one review has one address.
        "url": settings.SITE_URL + claim.get_absolute_url(),
        "claimReviewed": claim.summary,
        "datePublished": timezone.localdate(resolution.status_changed_at).isoformat(),
        "author": {
            "@type": "Organization",
            "name": settings.NEWSROOM_NAME,
            "url": settings.NEWSROOM_URL or settings.SITE_URL + reverse("claims:home"),
        },
        "itemReviewed": reviewed_claim(claim),
        "reviewRating": rating,
    }
    if resolution.status_reason:
        review["reviewBody"] = resolution.status_reason
    return review


def reviewed_claim(claim: Claim) -> dict:
    """Return the schema.org Claim: who said it, when, the verbatim words, where they appeared."""
    item = {
        "@type": "Claim",
        "author": speaker(claim.source),
        "datePublished": claim.stated_on.isoformat(),
        "inLanguage": claim.language,
    }
    if claim.is_direct_quote:
        item["text"] = claim.quote
    url = claim.citation_url or (claim.document.url if claim.document_id else "")
    if url:
        appearance = {"@type": "CreativeWork", "url": url}
        if claim.document_id:
            document = claim.document
            appearance["headline"] = document.title
            if document.publisher:
                appearance["publisher"] = {"@type": "Organization", "name": document.publisher}
            if document.published_on:
                appearance["datePublished"] = document.published_on.isoformat()
            if document.archive_url:
                appearance["archivedAt"] = document.archive_url
        item["appearance"] = appearance
    return item


def speaker(source: Source) -> dict:
    """Return the source as a schema.org Person (with its affiliation) or Organization."""
    is_person = source.kind in PERSON_KINDS or source.affiliation_id is not None
    author = {"@type": "Person" if is_person else "Organization", "name": source.name}
    if source.url:
        author["url"] = source.url
    if source.affiliation_id:
        body = source.affiliation
        author["affiliation"] = {"@type": "Organization", "name": body.name}
        if body.url:
            author["affiliation"]["url"] = body.url
    return author


def json_ld_script(data: dict | None) -> SafeString:
    """Return data as a <script type="application/ld+json"> block, escaped as json_script does.

    `<`, `>` and `&` become \\u escapes, which JSON reads back as the same
    characters: a quote saying "</script>" cannot end the element.
    """
    if not data:
        return mark_safe("")
    text = json.dumps(data, cls=DjangoJSONEncoder).translate(JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))
