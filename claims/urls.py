from django.urls import path, re_path

from claims import feeds
from claims.views import (
    claims,
    conflicts,
    detainees,
    editing,
    exports,
    imports,
    moderation,
    parties,
    topics,
)

app_name = "claims"

urlpatterns = [
    path("", topics.home, name="home"),
    # Editing: claims.views.editing. Before topics/<slug>/, which would take "new".
    path("me/", editing.dashboard, name="dashboard"),
    path("claims/new/", editing.claim_create, name="claim_create"),
    # The spreadsheet import: claims.views.imports.
    path("claims/import/", imports.claim_import, name="claim_import"),
    path("claims/import/<uuid:pk>/", imports.import_job, name="import_job"),
    path("claims/import/<uuid:pk>/confirm/", imports.import_job_confirm, name="import_job_confirm"),
    path("claims/<int:pk>/edit/", editing.claim_edit, name="claim_edit"),
    path("claims/<int:pk>/submit/", editing.claim_submit, name="claim_submit"),
    path("documents/new/", editing.document_create, name="document_create"),
    path("documents/<int:pk>/edit/", editing.document_edit, name="document_edit"),
    path("topics/new/", editing.topic_create, name="topic_create"),
    path("topics/<slug:slug>/edit/", editing.topic_edit, name="topic_edit"),
    path("detainees/new/", editing.detainee_create, name="detainee_create"),
    path("detainees/<int:pk>/edit/", editing.detainee_edit, name="detainee_edit"),
    path("topics/<slug:slug>/", topics.topic_detail, name="topic"),
    # Atom feeds: claims.feeds.
    path("conflicts/feed.atom", feeds.open_conflicts, name="conflicts_feed"),
    path("topics/<slug:slug>/conflicts.atom", feeds.topic_conflicts, name="topic_conflicts_feed"),
    path("topics/<slug:slug>/claims.atom", feeds.topic_claims, name="topic_claims_feed"),
    # The reading lists: filters live in the query string.
    path("claims/", claims.claim_list, name="list"),
    path("conflicts/", conflicts.conflict_list, name="conflicts"),
    path("detainees/", detainees.detainee_list, name="detainees"),
    path("detainees/board/", detainees.status_board, name="status_board"),
    path("claims/<int:pk>/", claims.claim_detail, name="detail"),
    # Downloads of the lists, with the same query string: claims.views.exports.
    re_path(r"^claims/export\.(?P<fmt>csv|json)$", exports.claim_export, name="claim_export"),
    re_path(
        r"^conflicts/export\.(?P<fmt>csv|json)$", exports.conflict_export, name="conflict_export"
    ),
    re_path(
        r"^detainees/export\.(?P<fmt>csv|json)$", exports.detainee_export, name="detainee_export"
    ),
    path("topics/<slug:slug>/case.json", exports.topic_case, name="topic_case"),
    path("conflicts/<int:pk>/", conflicts.conflict_detail, name="conflict"),
    path("detainees/<int:pk>/", detainees.detainee_detail, name="detainee"),
    # Moderation: claims.views.moderation.
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/approve/", moderation.claims_bulk_approve, name="claims_bulk_approve"),
    path("moderation/claims/<int:pk>/", moderation.claim_moderate, name="claim_moderate"),
    path("moderation/claims/<int:pk>/approve/", moderation.claim_approve, name="claim_approve"),
    path("moderation/claims/<int:pk>/reject/", moderation.claim_reject, name="claim_reject"),
    path("moderation/claims/<int:pk>/retract/", moderation.claim_retract, name="claim_retract"),
    path("moderation/claims/<int:pk>/restore/", moderation.claim_restore, name="claim_restore"),
    path("moderation/conflicts/", moderation.conflicts_to_decide, name="moderation_conflicts"),
    path(
        "moderation/conflicts/decide/",
        moderation.conflicts_bulk_decide,
        name="conflicts_bulk_decide",
    ),
    path("moderation/conflicts/<int:pk>/", moderation.conflict_decide, name="conflict_decide"),
    path(
        "moderation/conflicts/<int:pk>/resolve/",
        moderation.conflict_resolve,
        name="conflict_resolve",
    ),
    path(
        "moderation/conflicts/<int:pk>/dismiss/",
        moderation.conflict_dismiss,
        name="conflict_dismiss",
    ),
    path(
        "moderation/conflicts/<int:pk>/reopen/", moderation.conflict_reopen, name="conflict_reopen"
    ),
    path(
        "moderation/sources/<int:pk>/notes/",
        moderation.source_notes_moderate,
        name="source_notes",
    ),
    path("moderation/topics/<slug:slug>/parties/", parties.topic_parties, name="topic_parties"),
    path("moderation/notes/<int:pk>/hide/", moderation.note_hide, name="note_hide"),
    path("moderation/notes/<int:pk>/restore/", moderation.note_restore, name="note_restore"),
]
