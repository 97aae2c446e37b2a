"""The editorial cast for the editing tests: the January case plus one user per role."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.shortcuts import resolve_url

from claims.models import Claim
from tests.cast import JanuaryCast
from tests.roles import user_in


class EditorialCast(JanuaryCast):
    """Mixin for TestCase: Rita reads, Edna and Eddie edit, Mo moderates, Nobody has no role."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.rita = user_in("rita", "Reader")
        cls.edna = user_in("edna", "Editor")
        cls.eddie = user_in("eddie", "Editor")
        cls.mo = user_in("mo", "Moderator")
        cls.nobody = user_in("nobody", None)

    def login_url(self, url: str) -> str:
        return f"{resolve_url(settings.LOGIN_URL)}?next={url}"

    def assertSendsToLogin(self, response, url: str) -> None:
        self.assertRedirects(response, self.login_url(url), fetch_redirect_response=False)

    @classmethod
    def draft(cls, author: User, **fields) -> Claim:
        """Create an editor's draft through the model's validation, not yet submitted."""
        fields.setdefault("source", cls.psaki)
        fields.setdefault("topic", cls.release)
        fields.setdefault("kind", Claim.Kind.FACT)
        fields.setdefault("stance", Claim.Stance.AFFIRMS)
        fields.setdefault("quantity_min", 1)
        fields.setdefault("quantity_max", 53)
        fields.setdefault("quote", "Some of them have been freed")
        fields.setdefault("summary", "Some freed")
        fields.setdefault("stated_on", "2015-01-07")
        fields.setdefault("document", cls.article)
        claim = Claim(created_by=author, **fields)
        claim.full_clean()
        claim.save()
        return claim

    def claim_data(self, **overrides) -> dict:
        """Return a valid POST for the claim form: Psaki says some of the 53 were released."""
        data = {
            "source": "Jen Psaki",
            "topic": "Release of the 53 prisoners",
            "detainee": "",
            "kind": "fact",
            "stance": "affirms",
            "quantity": "some",
            "quantity_n": "",
            "quantity_m": "",
            "status": "",
            "quote": "They have already released some more of the prisoners",
            "summary": "More of the 53 released",
            "language": "en",
            "stated_on": "2015-01-08",
            "as_of": "",
            "document": self.article.title,
            "citation_url": "",
            "action": "draft",
        }
        data.update(overrides)
        return data

    def edit_data(self, claim: Claim, **overrides) -> dict:
        """Return the claim form's POST for an existing claim, as its edit page would send it."""
        claim.refresh_from_db()
        data = self.claim_data(
            source=claim.source.name,
            topic=claim.topic.title,
            detainee=claim.detainee.name if claim.detainee_id else "",
            stance=claim.stance,
            quote=claim.quote,
            summary=claim.summary,
            stated_on=claim.stated_on.isoformat()
            if hasattr(claim.stated_on, "isoformat")
            else claim.stated_on,
            document=claim.document.title if claim.document_id else "",
            version=str(claim.version),
            seen_state=claim.state,
        )
        data.update(overrides)
        return data
