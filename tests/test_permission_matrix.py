# ruff: noqa: E501 (the matrix below is a table: one row a line, columns aligned)
"""
Who may do what: every page and every write action, for each role, by GET and by POST.

Reading is public (the default setting): every role reads the reading pages.
Then, for everything else, the checks come in this order, as in
claims.views.editing and claims.views.moderation: an anonymous visitor is
sent to log in, a wrong method answers 405, a role without the permission
gets 403, and an object the user may not know of (someone else's draft)
answers 404.

Cells:
  200       the page (or the form again, when the POST carried no data)
  302       done, and redirected (not to the login page)
  302-login redirected to settings.LOGIN_URL, with ?next= back here
  403       logged in, but the role may not
  404       not found, or not the user's to see
  405       wrong method

Each cell runs in its own rolled-back transaction, so every cell starts from
the same data. POSTs carry valid data for the moderation actions (so 302
means the action was allowed) and no data for the editor forms (so 200
means the form was shown again, with its errors, to a role allowed to use it).
"""

import json
from collections import Counter
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Conflict, Detainee, Document, ImportJob, Topic
from sources.models import CredibilityNote, Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast, user_in
from watching.models import Notification, Watch

L = "302-login"

# Where the cells tried and the violations found are written, one line per
# matrix test, and printed (pytest -s, or -rP): the figure for the report.
TALLY_FILE = Path(settings.BASE_DIR) / "test-artifacts" / "permission-matrix.txt"


@contextmanager
def tallied(tally: Counter):
    """Count one cell tried, and a violation when it fails or errs (re-raised)."""
    tally["cells"] += 1
    try:
        yield
    except Exception:
        tally["violations"] += 1
        raise


def report_tally(test: str, tally: Counter) -> None:
    line = f"{test}: {tally['cells']} cells tried, {tally['violations']} violations"
    print(f"\npermission matrix: {line}")
    TALLY_FILE.parent.mkdir(exist_ok=True)
    with TALLY_FILE.open("a") as out:
        out.write(line + "\n")


ROLES = (
    "anonymous",
    "reader",
    "editor",
    "second_editor",
    "moderator",
    "second_moderator",
    "admin",
)

# fmt: off
MATRIX = [
    # URL name                    args                                method  anon reader editor editor2 moderator moderator2 admin
    # The reading pages: public; GET only.
    ("claims:home",                 (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:home",                 (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic",                ("release",),                       "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:topic",                ("release",),                       "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:list",                 (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:list",                 (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detail",               ("approved",),                      "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:detail",               ("approved",),                      "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detail",               ("editors_draft",),                 "GET",  404, 404, 404, 404, 404, 404, 404),
    ("claims:detail",               ("editors_draft",),                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detail",               ("pending",),                       "GET",  404, 404, 404, 404, 404, 404, 404),
    ("claims:detail",               ("pending",),                       "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detail",               ("retracted",),                     "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:detail",               ("retracted",),                     "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:conflicts",            (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:conflicts",            (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:conflict",             ("gap",),                           "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:conflict",             ("gap",),                           "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detainees",            (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:detainees",            (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:status_board",         (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:status_board",         (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detainee",             ("prisoner",),                      "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:detainee",             ("prisoner",),                      "POST", 405, 405, 405, 405, 405, 405, 405),
    ("sources:list",                (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("sources:list",                (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("sources:detail",              ("psaki",),                         "GET",  200, 200, 200, 200, 200, 200, 200),
    ("sources:detail",              ("psaki",),                         "POST", 405, 405, 405, 405, 405, 405, 405),
    # History: public objects for all; others only for those who may see them.
    ("history",                     ("claim", "approved"),              "GET",  200, 200, 200, 200, 200, 200, 200),
    ("history",                     ("claim", "approved"),              "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("claim", "editors_draft"),         "GET",  404, 404, 200, 404, 404, 404, 200),
    ("history",                     ("claim", "editors_draft"),         "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("claim", "others_draft"),          "GET",  404, 404, 404, 200, 404, 404, 200),
    ("history",                     ("claim", "others_draft"),          "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("claim", "pending"),               "GET",  404, 404, 200, 404, 200, 200, 200),
    ("history",                     ("claim", "pending"),               "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("conflict", "gap"),                "GET",  200, 200, 200, 200, 200, 200, 200),
    ("history",                     ("conflict", "gap"),                "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("source", "psaki"),                "GET",  200, 200, 200, 200, 200, 200, 200),
    ("history",                     ("source", "psaki"),                "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("credibilitynote", "psaki_note"),  "GET",  200, 200, 200, 200, 200, 200, 200),
    ("history",                     ("credibilitynote", "psaki_note"),  "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("credibilitynote", "hidden_note"), "GET",  404, 404, 404, 404, 200, 200, 200),
    ("history",                     ("credibilitynote", "hidden_note"), "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("document", "article"),            "GET",  200, 200, 200, 200, 200, 200, 200),
    ("history",                     ("document", "article"),            "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("topic", "release_pk"),            "GET",  200, 200, 200, 200, 200, 200, 200),
    ("history",                     ("topic", "release_pk"),            "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("detainee", "prisoner"),           "GET",  200, 200, 200, 200, 200, 200, 200),
    ("history",                     ("detainee", "prisoner"),           "POST", 405, 405, 405, 405, 405, 405, 405),
    # Accounts.
    ("login",                       (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("login",                       (),                                 "POST", 200, 200, 200, 200, 200, 200, 200),
    ("logout",                      (),                                 "GET",  405, 405, 405, 405, 405, 405, 405),
    ("logout",                      (),                                 "POST", 302, 302, 302, 302, 302, 302, 302),
    # The editors' pages: editors and up. Others' drafts are 404, for everyone.
    ("claims:dashboard",            (),                                 "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:dashboard",            (),                                 "POST", L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_create",         (),                                 "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:claim_create",         (),                                 "POST", L,   403, 200, 200, 200, 200, 200),
    ("claims:claim_edit",           ("editors_draft",),                 "GET",  L,   403, 200, 404, 404, 404, 404),
    ("claims:claim_edit",           ("editors_draft",),                 "POST", L,   403, 200, 404, 404, 404, 404),
    ("claims:claim_edit",           ("others_draft",),                  "GET",  L,   403, 404, 200, 404, 404, 404),
    ("claims:claim_edit",           ("others_draft",),                  "POST", L,   403, 404, 200, 404, 404, 404),
    ("claims:claim_edit",           ("pending",),                       "GET",  L,   403, 200, 404, 200, 200, 200),
    ("claims:claim_edit",           ("pending",),                       "POST", L,   403, 200, 404, 200, 200, 200),
    ("claims:claim_edit",           ("approved",),                      "GET",  L,   403, 404, 404, 200, 200, 200),
    ("claims:claim_edit",           ("approved",),                      "POST", L,   403, 404, 404, 200, 200, 200),
    ("claims:claim_submit",         ("editors_draft",),                 "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_submit",         ("editors_draft",),                 "POST", L,   403, 302, 404, 404, 404, 404),
    ("claims:claim_submit",         ("others_draft",),                  "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_submit",         ("others_draft",),                  "POST", L,   403, 404, 302, 404, 404, 404),
    ("claims:document_create",      (),                                 "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:document_create",      (),                                 "POST", L,   403, 200, 200, 200, 200, 200),
    ("claims:document_edit",        ("article",),                       "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:document_edit",        ("article",),                       "POST", L,   403, 200, 200, 200, 200, 200),
    ("claims:topic_create",         (),                                 "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:topic_create",         (),                                 "POST", L,   403, 200, 200, 200, 200, 200),
    ("claims:topic_edit",           ("release",),                       "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:topic_edit",           ("release",),                       "POST", L,   403, 200, 200, 200, 200, 200),
    ("claims:detainee_create",      (),                                 "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:detainee_create",      (),                                 "POST", L,   403, 200, 200, 200, 200, 200),
    ("claims:detainee_edit",        ("prisoner",),                      "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:detainee_edit",        ("prisoner",),                      "POST", L,   403, 200, 200, 200, 200, 200),
    ("sources:source_create",       (),                                 "GET",  L,   403, 200, 200, 200, 200, 200),
    ("sources:source_create",       (),                                 "POST", L,   403, 200, 200, 200, 200, 200),
    ("sources:source_edit",         ("psaki",),                         "GET",  L,   403, 200, 200, 200, 200, 200),
    ("sources:source_edit",         ("psaki",),                         "POST", L,   403, 200, 200, 200, 200, 200),
    ("sources:note_create",         ("psaki",),                         "GET",  L,   403, 200, 200, 200, 200, 200),
    ("sources:note_create",         ("psaki",),                         "POST", L,   403, 200, 200, 200, 200, 200),
    # Moderation: moderators and admins; restoring a claim: admins only.
    ("claims:moderation_queue",     (),                                 "GET",  L,   403, 403, 403, 200, 200, 200),
    ("claims:moderation_queue",     (),                                 "POST", L,   405, 405, 405, 405, 405, 405),
    ("claims:claims_bulk_approve",  (),                                 "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claims_bulk_approve",  (),                                 "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:claim_moderate",       ("pending",),                       "GET",  L,   403, 403, 403, 200, 200, 200),
    ("claims:claim_moderate",       ("pending",),                       "POST", L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_moderate",       ("editors_draft",),                 "GET",  L,   403, 403, 403, 404, 404, 404),
    ("claims:claim_moderate",       ("editors_draft",),                 "POST", L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_approve",        ("pending",),                       "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_approve",        ("pending",),                       "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:claim_approve",        ("editors_draft",),                 "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_approve",        ("editors_draft",),                 "POST", L,   403, 403, 403, 404, 404, 404),
    ("claims:claim_reject",         ("pending",),                       "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_reject",         ("pending",),                       "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:claim_retract",        ("approved",),                      "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_retract",        ("approved",),                      "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:claim_restore",        ("retracted",),                     "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_restore",        ("retracted",),                     "POST", L,   403, 403, 403, 403, 403, 302),
    ("claims:moderation_conflicts", (),                                 "GET",  L,   403, 403, 403, 200, 200, 200),
    ("claims:moderation_conflicts", (),                                 "POST", L,   405, 405, 405, 405, 405, 405),
    ("claims:conflict_decide",      ("gap",),                           "GET",  L,   403, 403, 403, 200, 200, 200),
    ("claims:conflict_decide",      ("gap",),                           "POST", L,   405, 405, 405, 405, 405, 405),
    ("claims:conflict_resolve",     ("gap",),                           "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:conflict_resolve",     ("gap",),                           "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:conflict_dismiss",     ("gap",),                           "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:conflict_dismiss",     ("gap",),                           "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:conflicts_bulk_decide", (),                                "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:conflicts_bulk_decide", (),                                "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:conflict_reopen",      ("resolved",),                      "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:conflict_reopen",      ("resolved",),                      "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:source_notes",         ("psaki",),                         "GET",  L,   403, 403, 403, 200, 200, 200),
    ("claims:source_notes",         ("psaki",),                         "POST", L,   405, 405, 405, 405, 405, 405),
    # Interested parties (issue 14): moderators record them; an empty form is refused (400).
    ("claims:topic_parties",        ("release",),                       "GET",  L,   403, 403, 403, 200, 200, 200),
    ("claims:topic_parties",        ("release",),                       "POST", L,   403, 403, 403, 400, 400, 400),
    ("claims:note_hide",            ("psaki_note",),                    "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:note_hide",            ("psaki_note",),                    "POST", L,   403, 403, 403, 302, 302, 302),
    ("claims:note_restore",         ("hidden_note",),                   "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:note_restore",         ("hidden_note",),                   "POST", L,   403, 403, 403, 302, 302, 302),
    # Unpublished research (docs/publication.md): a source, topic, document or
    # detainee only a draft uses is for editors and up; readers get 404.
    ("sources:detail",              ("secret_source",),                 "GET",  404, 404, 200, 200, 200, 200, 200),
    ("sources:detail",              ("secret_source",),                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("sources:conflicts_feed",      ("secret_source",),                 "GET",  404, 404, 200, 200, 200, 200, 200),
    ("sources:conflicts_feed",      ("secret_source",),                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic",                ("secret_topic",),                  "GET",  404, 404, 200, 200, 200, 200, 200),
    ("claims:topic",                ("secret_topic",),                  "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic_case",           ("secret_topic",),                  "GET",  404, 404, 200, 200, 200, 200, 200),
    ("claims:topic_case",           ("secret_topic",),                  "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic_claims_feed",    ("secret_topic",),                  "GET",  404, 404, 200, 200, 200, 200, 200),
    ("claims:topic_claims_feed",    ("secret_topic",),                  "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic_conflicts_feed", ("secret_topic",),                  "GET",  404, 404, 200, 200, 200, 200, 200),
    ("claims:topic_conflicts_feed", ("secret_topic",),                  "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detainee",             ("secret_prisoner",),               "GET",  404, 404, 200, 200, 200, 200, 200),
    ("claims:detainee",             ("secret_prisoner",),               "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("source", "secret_source"),        "GET",  404, 404, 200, 200, 200, 200, 200),
    ("history",                     ("source", "secret_source"),        "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("document", "secret_document"),    "GET",  404, 404, 200, 200, 200, 200, 200),
    ("history",                     ("document", "secret_document"),    "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("topic", "secret_topic_pk"),       "GET",  404, 404, 200, 200, 200, 200, 200),
    ("history",                     ("topic", "secret_topic_pk"),       "POST", 405, 405, 405, 405, 405, 405, 405),
    ("history",                     ("detainee", "secret_prisoner"),    "GET",  404, 404, 200, 200, 200, 200, 200),
    ("history",                     ("detainee", "secret_prisoner"),    "POST", 405, 405, 405, 405, 405, 405, 405),
    # Four eyes (REQUIRE_SECOND_PAIR_OF_EYES): the moderator wrote "mods_pending"
    # and edited a claim of "mods_gap"; the second moderator decides.
    ("claims:claim_approve",        ("mods_pending",),                  "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:claim_approve",        ("mods_pending",),                  "POST", L,   403, 403, 403, 403, 302, 302),
    ("claims:conflict_resolve",     ("mods_gap",),                      "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:conflict_resolve",     ("mods_gap",),                      "POST", L,   403, 403, 403, 403, 302, 302),
    ("claims:conflict_dismiss",     ("mods_gap",),                      "GET",  L,   405, 405, 405, 405, 405, 405),
    ("claims:conflict_dismiss",     ("mods_gap",),                      "POST", L,   403, 403, 403, 403, 302, 302),
    # Probes for the load balancer: open to all, whatever the reading setting.
    ("healthz",                     (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("healthz",                     (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("readyz",                      (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("readyz",                      (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    # The Django admin: staff only (it sends others to its own login page).
    ("admin:index",                 (),                                 "GET",  302, 302, 302, 302, 302, 302, 200),
    ("admin:index",                 (),                                 "POST", 302, 302, 302, 302, 302, 302, 200),
    # Atom feeds (claims.feeds): reading pages, public; GET only.
    ("claims:conflicts_feed",       (),                                 "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:conflicts_feed",       (),                                 "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic_conflicts_feed", ("release",),                       "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:topic_conflicts_feed", ("release",),                       "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic_claims_feed",    ("release",),                       "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:topic_claims_feed",    ("release",),                       "POST", 405, 405, 405, 405, 405, 405, 405),
    ("sources:conflicts_feed",      ("psaki",),                         "GET",  200, 200, 200, 200, 200, 200, 200),
    ("sources:conflicts_feed",      ("psaki",),                         "POST", 405, 405, 405, 405, 405, 405, 405),
    # Downloads (claims.views.exports, sources.exports): reading pages, public; GET only.
    ("claims:claim_export",         ("csv",),                           "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:claim_export",         ("csv",),                           "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:claim_export",         ("json",),                          "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:claim_export",         ("json",),                          "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:conflict_export",      ("csv",),                           "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:conflict_export",      ("csv",),                           "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:conflict_export",      ("json",),                          "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:conflict_export",      ("json",),                          "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detainee_export",      ("csv",),                           "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:detainee_export",      ("csv",),                           "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:detainee_export",      ("json",),                          "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:detainee_export",      ("json",),                          "POST", 405, 405, 405, 405, 405, 405, 405),
    ("sources:export",              ("csv",),                           "GET",  200, 200, 200, 200, 200, 200, 200),
    ("sources:export",              ("csv",),                           "POST", 405, 405, 405, 405, 405, 405, 405),
    ("sources:export",              ("json",),                          "GET",  200, 200, 200, 200, 200, 200, 200),
    ("sources:export",              ("json",),                          "POST", 405, 405, 405, 405, 405, 405, 405),
    ("claims:topic_case",           ("release",),                       "GET",  200, 200, 200, 200, 200, 200, 200),
    ("claims:topic_case",           ("release",),                       "POST", 405, 405, 405, 405, 405, 405, 405),
    # The spreadsheet import (claims.views.imports): editors and up. A POST without a file shows the form again.
    ("claims:claim_import",         (),                                 "GET",  L,   403, 200, 200, 200, 200, 200),
    ("claims:claim_import",         (),                                 "POST", L,   403, 200, 200, 200, 200, 200),
    # An import job's page and confirmation: its owner's only (the editor's job here).
    ("claims:import_job",           ("editors_job",),                   "GET",  L,   403, 200, 404, 404, 404, 404),
    ("claims:import_job",           ("editors_job",),                   "POST", L,   403, 405, 405, 405, 405, 405),
    ("claims:import_job_confirm",   ("editors_job",),                   "GET",  L,   403, 405, 405, 405, 405, 405),
    ("claims:import_job_confirm",   ("editors_job",),                   "POST", L,   403, 302, 404, 404, 404, 404),
    # Watching (watching/): any logged-in user watches what they may see, and reads their own notifications.
    ("watching:watch",              ("topic", "release_pk"),            "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("topic", "release_pk"),            "POST", L,   302, 302, 302, 302, 302, 302),
    ("watching:watch",              ("topic", "secret_topic_pk"),       "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("topic", "secret_topic_pk"),       "POST", L,   404, 302, 302, 302, 302, 302),
    ("watching:watch",              ("detainee", "prisoner"),           "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("detainee", "prisoner"),           "POST", L,   302, 302, 302, 302, 302, 302),
    ("watching:watch",              ("detainee", "secret_prisoner"),    "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("detainee", "secret_prisoner"),    "POST", L,   404, 302, 302, 302, 302, 302),
    ("watching:watch",              ("source", "psaki"),                "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("source", "psaki"),                "POST", L,   302, 302, 302, 302, 302, 302),
    ("watching:watch",              ("source", "secret_source"),        "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("source", "secret_source"),        "POST", L,   404, 302, 302, 302, 302, 302),
    ("watching:watch",              ("conflict", "gap"),                "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("conflict", "gap"),                "POST", L,   302, 302, 302, 302, 302, 302),
    ("watching:watch",              ("claim", "approved"),              "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:watch",              ("claim", "approved"),              "POST", L,   404, 404, 404, 404, 404, 404),
    ("watching:notifications",      (),                                 "GET",  L,   200, 200, 200, 200, 200, 200),
    ("watching:notifications",      (),                                 "POST", L,   405, 405, 405, 405, 405, 405),
    ("watching:read",               (),                                 "GET",  L,   405, 405, 405, 405, 405, 405),
    ("watching:read",               (),                                 "POST", L,   302, 302, 302, 302, 302, 302),
    ("watching:settings",           (),                                 "GET",  L,   200, 200, 200, 200, 200, 200),
    ("watching:settings",           (),                                 "POST", L,   200, 200, 200, 200, 200, 200),
]
# fmt: on

# Open to anonymous visitors even when reading requires a login.
NOT_READING = ("login", "healthz", "readyz")

# What a POST carries: enough for the action to go through when allowed.
POST_DATA = {
    "claims:claims_bulk_approve": {"claims": ["pending"]},
    "claims:claim_approve": {"reason": "Checked"},
    "claims:claim_reject": {"reason": "Unsourced"},
    "claims:claim_retract": {"reason": "Misquoted"},
    "claims:claim_restore": {"reason": "Quote verified"},
    "claims:conflict_resolve": {
        "outcome": Conflict.Outcome.A_RIGHT,
        "rationale": "The Jan 12 list",
        "evidence_url": "https://example.org/list",
    },
    "claims:conflict_dismiss": {"reason": "Not a real conflict"},
    "claims:conflicts_bulk_decide": {
        "conflicts": ["gap"],
        "decision": "dismiss",
        "rationale": "Not a real conflict",
    },
    "claims:conflict_reopen": {"reason": "New evidence"},
    "claims:note_hide": {"reason": "Wrong source"},
    "watching:read": {"all": "1"},
}

# The REST API (api.views): the same roles, answered as an API answers. Reads
# are public (401 when reading requires a login, below); a write needs a login
# (401), then the role's permission (403), then the object (404); DELETE is
# 405 for every logged-in user: nothing is deleted. Bodies: valid for the
# actions (200 means done), empty for creating (400 means the form refused it,
# to a role allowed to use it), and for editing: an empty PATCH keeps a
# record as it is (200), except a claim's, which must name its version (400).
#   400  the body was refused, with the form's messages
#   401  not logged in
# fmt: off
API_MATRIX = [
    # URL name             args                  method    anon reader editor editor2 moderator moderator2 admin
    ("api:schema",           (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:schema",           (),                   "POST",   405, 405, 405, 405, 405, 405, 405),
    ("api:docs",             (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:docs",             (),                   "POST",   405, 405, 405, 405, 405, 405, 405),
    # Any other path under /api/ answers a JSON 404, whatever the method (api.conventions).
    ("api:not-found",        ("nothing/",),        "GET",    404, 404, 404, 404, 404, 404, 404),
    ("api:not-found",        ("nothing/",),        "POST",   404, 404, 404, 404, 404, 404, 404),
    ("api:claim-list",       (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:claim-list",       (),                   "POST",   401, 403, 400, 400, 400, 400, 400),
    ("api:claim-detail",     ("approved",),        "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:claim-detail",     ("approved",),        "PATCH",  401, 403, 404, 404, 400, 400, 400),
    ("api:claim-detail",     ("approved",),        "PUT",    401, 403, 404, 404, 400, 400, 400),
    ("api:claim-detail",     ("approved",),        "DELETE", 401, 405, 405, 405, 405, 405, 405),
    ("api:claim-detail",     ("retracted",),       "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:claim-detail",     ("retracted",),       "PATCH",  401, 403, 404, 404, 409, 409, 409),
    ("api:claim-detail",     ("editors_draft",),   "GET",    404, 404, 200, 404, 404, 404, 200),
    ("api:claim-detail",     ("editors_draft",),   "PATCH",  401, 403, 400, 404, 404, 404, 404),
    ("api:claim-detail",     ("others_draft",),    "GET",    404, 404, 404, 200, 404, 404, 200),
    ("api:claim-detail",     ("others_draft",),    "PATCH",  401, 403, 404, 400, 404, 404, 404),
    ("api:claim-detail",     ("pending",),         "GET",    404, 404, 200, 404, 200, 200, 200),
    ("api:claim-detail",     ("pending",),         "PATCH",  401, 403, 400, 404, 400, 400, 400),
    ("api:claim-submit",     ("editors_draft",),   "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:claim-submit",     ("editors_draft",),   "POST",   401, 403, 200, 404, 404, 404, 404),
    ("api:claim-submit",     ("others_draft",),    "POST",   401, 403, 404, 200, 404, 404, 404),
    ("api:claim-approve",    ("pending",),         "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:claim-approve",    ("pending",),         "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:claim-approve",    ("editors_draft",),   "POST",   401, 403, 403, 403, 404, 404, 404),
    ("api:claim-approve",    ("approved",),        "POST",   401, 403, 403, 403, 409, 409, 409),
    ("api:claim-reject",     ("pending",),         "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:claim-reject",     ("pending",),         "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:claim-retract",    ("approved",),        "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:claim-retract",    ("approved",),        "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:claim-restore",    ("retracted",),       "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:claim-restore",    ("retracted",),       "POST",   401, 403, 403, 403, 403, 403, 200),
    ("api:conflict-list",    (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:conflict-list",    (),                   "POST",   401, 405, 405, 405, 405, 405, 405),
    ("api:conflict-detail",  ("gap",),             "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:conflict-detail",  ("gap",),             "PATCH",  401, 405, 405, 405, 405, 405, 405),
    ("api:conflict-detail",  ("gap",),             "DELETE", 401, 405, 405, 405, 405, 405, 405),
    ("api:conflict-resolve", ("gap",),             "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:conflict-resolve", ("gap",),             "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:conflict-dismiss", ("gap",),             "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:conflict-dismiss", ("gap",),             "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:conflict-reopen",  ("resolved",),        "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:conflict-reopen",  ("resolved",),        "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:conflict-reopen",  ("gap",),             "POST",   401, 403, 403, 403, 409, 409, 409),
    ("api:source-list",      (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:source-list",      (),                   "POST",   401, 403, 400, 400, 400, 400, 400),
    ("api:source-detail",    ("psaki",),           "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:source-detail",    ("psaki",),           "PATCH",  401, 403, 200, 200, 200, 200, 200),
    ("api:source-detail",    ("psaki",),           "DELETE", 401, 405, 405, 405, 405, 405, 405),
    ("api:note-list",        (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:note-list",        (),                   "POST",   401, 403, 400, 400, 400, 400, 400),
    ("api:note-detail",      ("psaki_note",),      "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:note-detail",      ("psaki_note",),      "PATCH",  401, 405, 405, 405, 405, 405, 405),
    ("api:note-detail",      ("psaki_note",),      "DELETE", 401, 405, 405, 405, 405, 405, 405),
    ("api:note-detail",      ("hidden_note",),     "GET",    404, 404, 404, 404, 200, 200, 200),
    ("api:note-hide",        ("psaki_note",),      "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:note-hide",        ("psaki_note",),      "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:note-restore",     ("hidden_note",),     "GET",    405, 405, 405, 405, 405, 405, 405),
    ("api:note-restore",     ("hidden_note",),     "POST",   401, 403, 403, 403, 200, 200, 200),
    ("api:document-list",    (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:document-list",    (),                   "POST",   401, 403, 400, 400, 400, 400, 400),
    ("api:document-detail",  ("article",),         "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:document-detail",  ("article",),         "PATCH",  401, 403, 200, 200, 200, 200, 200),
    ("api:document-detail",  ("article",),         "DELETE", 401, 405, 405, 405, 405, 405, 405),
    ("api:topic-list",       (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:topic-list",       (),                   "POST",   401, 403, 400, 400, 400, 400, 400),
    ("api:topic-detail",     ("release_pk",),      "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:topic-detail",     ("release_pk",),      "PATCH",  401, 403, 200, 200, 200, 200, 200),
    ("api:topic-detail",     ("release_pk",),      "DELETE", 401, 405, 405, 405, 405, 405, 405),
    ("api:detainee-list",    (),                   "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:detainee-list",    (),                   "POST",   401, 403, 400, 400, 400, 400, 400),
    ("api:detainee-detail",  ("prisoner",),        "GET",    200, 200, 200, 200, 200, 200, 200),
    ("api:detainee-detail",  ("prisoner",),        "PATCH",  401, 403, 200, 200, 200, 200, 200),
    ("api:detainee-detail", ("prisoner",),        "DELETE", 401, 405, 405, 405, 405, 405, 405),
    # Unpublished research: 404 for readers, also by its number.
    ("api:source-detail",   ("secret_source",),   "GET",    404, 404, 200, 200, 200, 200, 200),
    ("api:document-detail", ("secret_document",), "GET",    404, 404, 200, 200, 200, 200, 200),
    ("api:topic-detail",    ("secret_topic_pk",), "GET",    404, 404, 200, 200, 200, 200, 200),
    ("api:detainee-detail", ("secret_prisoner",), "GET",    404, 404, 200, 200, 200, 200, 200),
    # Four eyes.
    ("api:claim-approve",   ("mods_pending",),    "POST",   401, 403, 403, 403, 403, 200, 200),
    ("api:conflict-resolve", ("mods_gap",),       "POST",   401, 403, 403, 403, 403, 200, 200),
    ("api:conflict-dismiss", ("mods_gap",),       "POST",   401, 403, 403, 403, 403, 200, 200),
    # One's own watches and notifications (api/watching.py): a login for reading too, and
    # someone else's is 404. The reader owns the watch and the notification named here.
    ("api:watch-list",       (),                   "GET",    401, 200, 200, 200, 200, 200, 200),
    ("api:watch-list",       (),                   "POST",   401, 200, 201, 201, 201, 201, 201),
    ("api:watch-detail",     ("readers_watch",),   "GET",    401, 200, 404, 404, 404, 404, 404),
    ("api:watch-detail",     ("readers_watch",),   "PATCH",  401, 405, 405, 405, 405, 405, 405),
    ("api:watch-detail",     ("readers_watch",),   "DELETE", 401, 204, 404, 404, 404, 404, 404),
    ("api:notification-list", (),                  "GET",    401, 200, 200, 200, 200, 200, 200),
    ("api:notification-list", (),                  "POST",   401, 405, 405, 405, 405, 405, 405),
    ("api:notification-read", ("readers_note",),   "GET",    401, 405, 405, 405, 405, 405, 405),
    ("api:notification-read", ("readers_note",),   "POST",   401, 200, 404, 404, 404, 404, 404),
    ("api:notification-read-many", (),             "GET",    401, 405, 405, 405, 405, 405, 405),
    ("api:notification-read-many", (),             "POST",   401, 200, 200, 200, 200, 200, 200),
]
# fmt: on

# What an API write carries: enough for the action to go through when allowed.
API_DATA = {
    "api:claim-approve": {"reason": "Checked"},
    "api:claim-reject": {"reason": "Unsourced"},
    "api:claim-retract": {"reason": "Misquoted"},
    "api:claim-restore": {"reason": "Quote verified"},
    "api:conflict-resolve": POST_DATA["claims:conflict_resolve"],
    "api:conflict-dismiss": {"reason": "Not a real conflict"},
    "api:conflict-reopen": {"reason": "New evidence"},
    "api:note-hide": {"reason": "Wrong source"},
    # The reader watches the topic already (200); the others start watching it (201).
    "api:watch-list": {"kind": "topic", "target": "release_pk"},
    "api:notification-read-many": {"all": True},
}


class PermissionMatrixTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()

        def position(summary: str, by, state: str) -> Claim:
            return Claim.objects.create(
                source=cls.rubio,
                topic=cls.release,
                kind=Claim.Kind.POSITION,
                quote=summary,
                summary=summary,
                stated_on=date(2015, 1, 6),
                created_by=by,
                state=state,
            )

        cls.editors_draft = position("Ed's draft", cls.editor, Claim.State.DRAFT)
        cls.others_draft = position("Edna's draft", cls.other_editor, Claim.State.DRAFT)
        cls.pending_claim = position("Ed's pending claim", cls.editor, Claim.State.PENDING)
        cls.retracted = cls.claim(cls.rubio, kind=Claim.Kind.POSITION, quote="x", summary="x")
        cls.retracted.retract(by=cls.moderator, reason="Misattributed")

        talks = Topic.objects.create(title="Talks", question="Will the talks go on?")
        cls.claim(cls.psaki, topic=talks, stance="affirms", quote="Yes", summary="Yes")
        cls.claim(cls.sanchez, topic=talks, stance="denies", quote="No", summary="No")
        cls.resolved = Conflict.objects.get(topic=talks)
        cls.resolved.resolve(by=cls.moderator, outcome="unresolvable", rationale="Unclear")

        cls.hidden_note = CredibilityNote.objects.create(source=cls.psaki, body="Wrong")
        cls.hidden_note.hide(by=cls.moderator, reason="Wrong source")
        cls.detainee = Detainee.objects.create(name="Unidentified prisoner 1")
        cls.detainee.topics.add(cls.release)
        cls.editors_job = ImportJob.objects.create(
            user=cls.editor, filename="claims.csv", size=1, sha256="0" * 64, state="checked"
        )
        cls.detainee.publish(by=cls.moderator)

        cls.second_moderator = user_in("otto", "Moderator", first_name="Otto", last_name="Second")
        # Research only a draft uses: unpublished.
        cls.secret_source = Source.objects.create(name="Insider", kind=Source.Kind.OFFICIAL)
        cls.secret_topic = Topic.objects.create(title="Ottawa talks", question="Talking?")
        cls.secret_document = Document.objects.create(title="Leaked memo", url="https://x.org/m")
        cls.secret_prisoner = Detainee.objects.create(name="Prisoner known to us")
        Claim.objects.create(
            source=cls.secret_source,
            topic=cls.secret_topic,
            document=cls.secret_document,
            kind=Claim.Kind.POSITION,
            quote="Research",
            summary="Research",
            stated_on=date(2015, 1, 6),
            created_by=cls.editor,
        )
        # Four eyes: the moderator's own pending claim, and a conflict about
        # a claim the moderator last edited.
        cls.mods_pending = position("Mona's pending claim", cls.moderator, Claim.State.PENDING)
        doubt = Topic.objects.create(title="Doubt", question="Is it so?")
        cls.claim(cls.psaki, topic=doubt, stance="affirms", quote="Yes", summary="Yes")
        edited = cls.claim(cls.sanchez, topic=doubt, stance="denies", quote="No", summary="No")
        edited.summary, edited._history_user = "No, says the monitor", cls.moderator
        edited.save()
        cls.mods_gap = Conflict.objects.get(topic=doubt)
        # The reader's own watch and notification (api/watching.py).
        cls.readers_watch = Watch.objects.create(
            user=cls.reader, topic=cls.release, started_at=timezone.now()
        )
        cls.readers_note = Notification.objects.create(
            user=cls.reader,
            event=Notification.Event.CLAIM_APPROVED,
            claim=cls.some_released,
            topic=cls.release,
            created_at=timezone.now(),
        )

    def setUp(self) -> None:
        super().setUp()
        self.tally = Counter()

    def tearDown(self) -> None:
        # The figure the closing note gives: "N cells tried, V violations" (report_tally).
        if self.tally["cells"]:
            report_tally(self.id().rsplit(".", 1)[-1], self.tally)
        super().tearDown()

    def objects(self) -> dict:
        """Return what the matrix's arguments name: pks, or the topic's slug."""
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        return {
            "release": self.release.slug,
            "release_pk": self.release.pk,
            "approved": self.some_released.pk,
            "editors_draft": self.editors_draft.pk,
            "others_draft": self.others_draft.pk,
            "pending": self.pending_claim.pk,
            "retracted": self.retracted.pk,
            "gap": gap.pk,
            "resolved": self.resolved.pk,
            "psaki": self.psaki.pk,
            "psaki_note": self.psaki_note.pk,
            "hidden_note": self.hidden_note.pk,
            "article": self.article.pk,
            "prisoner": self.detainee.pk,
            "editors_job": self.editors_job.pk,
            "secret_source": self.secret_source.pk,
            "secret_topic": self.secret_topic.slug,
            "secret_topic_pk": self.secret_topic.pk,
            "secret_document": self.secret_document.pk,
            "secret_prisoner": self.secret_prisoner.pk,
            "mods_pending": self.mods_pending.pk,
            "mods_gap": self.mods_gap.pk,
            "readers_watch": self.readers_watch.pk,
            "readers_note": self.readers_note.pk,
        }

    def users(self) -> dict:
        return {
            "anonymous": AnonymousUser(),
            "reader": self.reader,
            "editor": self.editor,
            "second_editor": self.other_editor,
            "moderator": self.moderator,
            "second_moderator": self.second_moderator,
            "admin": self.admin,
        }

    def request(self, user, method: str, url: str, data: dict):
        self.client.logout()
        if user.is_authenticated:
            self.client.force_login(user)
        # Each cell in its own savepoint, rolled back: every cell sees the same data.
        with transaction.atomic():
            response = self.client.get(url) if method == "GET" else self.client.post(url, data)
            transaction.set_rollback(True)
        return response

    def assertOutcome(self, response, expected, url: str) -> None:
        login = resolve_url(settings.LOGIN_URL)
        if expected == L:
            self.assertEqual(response.status_code, 302)
            self.assertTrue(response["Location"].startswith(f"{login}?next="), response["Location"])
            return
        self.assertEqual(response.status_code, expected)
        if expected == 302 and not url.startswith("/admin/"):
            self.assertFalse(response["Location"].startswith(login), response["Location"])

    def run_matrix(self, rows) -> None:
        objects, users = self.objects(), self.users()
        for name, args, method, *cells in rows:
            # The history URL's first argument is a model name, the rest name objects.
            url = reverse(name, args=[objects.get(a, a) for a in args])
            data = {
                key: [objects.get(v, v) for v in value] if isinstance(value, list) else value
                for key, value in POST_DATA.get(name, {}).items()
            }
            for role, expected in zip(ROLES, cells, strict=True):
                cell = f"{method} {name}{list(args)} as {role}"
                with self.subTest(cell), tallied(self.tally):
                    response = self.request(users[role], method, url, data)
                    self.assertOutcome(response, expected, url)

    def test_every_page_and_action_for_every_role_and_method(self):
        self.run_matrix(MATRIX)

    def test_it_covers_every_url_of_the_app(self):
        """Fail on any URL pattern (the admin's aside) without rows, naming the pattern."""
        from django.urls import get_resolver

        def patterns(resolver, prefix="", namespace=""):
            for pattern in resolver.url_patterns:
                route = prefix + str(pattern.pattern)
                if hasattr(pattern, "url_patterns"):
                    inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                    if pattern.namespace != "admin":
                        yield from patterns(pattern, route, inner)
                elif pattern.name:
                    yield f"{namespace}{pattern.name}", route
                else:
                    yield None, route

        covered = {row[0] for row in MATRIX} | {row[0] for row in API_MATRIX}
        missing = [
            f"URL pattern {route!r} (name {name!r}) has no entry: add its rows, one per "
            "method, to MATRIX (pages) or API_MATRIX (api/) in tests/test_permission_matrix.py"
            for name, route in patterns(get_resolver())
            if name not in covered and "admin:" not in (name or "")
        ]
        self.assertEqual(missing, [], "\n" + "\n".join(missing))

    def test_it_counts_the_cells_it_tries(self):
        """Every row has a cell for each of the seven roles (the count is in the report)."""
        cells = sum(len(row[3:]) for row in (*MATRIX, *API_MATRIX))
        self.assertEqual(cells, len(ROLES) * (len(MATRIX) + len(API_MATRIX)))

    def test_each_row_is_tried_with_both_methods(self):
        methods: dict[tuple, list[str]] = {}
        for name, args, method, *_ in MATRIX:
            methods.setdefault((name, args), []).append(method)

        self.assertEqual({row for row, m in methods.items() if sorted(m) != ["GET", "POST"]}, set())

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_when_reading_requires_a_login_anonymous_readers_are_sent_to_log_in(self):
        reading = [
            (name, args, method, L, *cells[1:])
            for name, args, method, *cells in MATRIX
            if method == "GET" and cells[0] == 200 and name not in NOT_READING
        ]
        self.assertGreater(len(reading), 15)

        self.run_matrix(reading)

    def request_api(self, user, method: str, url: str, data: dict):
        self.client.logout()
        if user.is_authenticated:
            self.client.force_login(user)
        with transaction.atomic():
            response = self.client.generic(
                method, url, json.dumps(data), content_type="application/json"
            )
            transaction.set_rollback(True)
        return response

    def run_api_matrix(self, rows) -> None:
        objects, users = self.objects(), self.users()
        for name, args, method, *cells in rows:
            url = reverse(name, args=[objects.get(a, a) for a in args])
            data = API_DATA.get(name, {}) if method != "GET" else {}
            data = {k: objects.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
            for role, expected in zip(ROLES, cells, strict=True):
                cell = f"{method} {name}{list(args)} as {role}"
                with self.subTest(cell), tallied(self.tally):
                    response = self.request_api(users[role], method, url, data)
                    self.assertEqual(response.status_code, expected, response.content[:300])

    def test_every_api_endpoint_for_every_role_and_method(self):
        self.run_api_matrix(API_MATRIX)

    def test_each_api_url_is_tried_reading_and_writing(self):
        methods: dict[str, set[str]] = {}
        for name, _, method, *_ in API_MATRIX:
            methods.setdefault(name, set()).add(method)

        self.assertEqual({n for n, m in methods.items() if "GET" not in m or len(m) < 2}, set())

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_when_reading_requires_a_login_anonymous_api_reads_answer_401(self):
        reading = [
            (name, args, method, 401, *cells[1:])
            for name, args, method, *cells in API_MATRIX
            if method == "GET" and cells[0] == 200 and name not in ("api:schema", "api:docs")
        ]
        self.assertGreater(len(reading), 10)

        self.run_api_matrix(reading)
