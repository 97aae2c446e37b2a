from django.test import TestCase

from claims.models import Claim, Conflict, Detainee
from tests.cast import JanuaryCast


class ConflictForDisplayTests(JanuaryCast, TestCase):
    """`Conflict.objects.for_display()` loads what a side-by-side card shows in one query."""

    def test_both_claims_share_the_conflicts_topic_in_one_query(self):
        with self.assertNumQueries(1):
            [gap] = Conflict.objects.open().for_display()
            for claim in (gap.claim_a, gap.claim_b):
                self.assertIs(claim.topic, gap.topic)
                self.assertIsNone(claim.detainee)
                self.assertIsNotNone(claim.source.affiliation)
                self.assertEqual(claim.document, self.article)

    def test_claims_about_a_detainee_share_the_conflicts_detainee(self):
        prisoner = Detainee.objects.create(name="Unidentified prisoner 12")
        prisoner.topics.add(self.release)
        for source, stance in [
            (self.psaki, Claim.Stance.AFFIRMS),
            (self.sanchez, Claim.Stance.NO_INFORMATION),
        ]:
            self.claim(
                source,
                detainee=prisoner,
                stance=stance,
                status=Claim.Status.RELEASED if stance == Claim.Stance.AFFIRMS else "",
                quote=f"{source.name} on him",
                summary=f"{source.name} on him",
            )

        with self.assertNumQueries(1):
            [conflict] = Conflict.objects.open().filter(detainee=prisoner).for_display()
            for claim in (conflict.claim_a, conflict.claim_b):
                self.assertIs(claim.detainee, conflict.detainee)
                self.assertIs(claim.topic, conflict.topic)
        self.assertEqual(conflict.detainee, prisoner)

    def test_it_leaves_claims_that_were_not_joined_alone(self):
        [gap] = Conflict.objects.open().for_display().select_related(None)

        with self.assertNumQueries(2):  # the claim, then its topic: nothing was shared
            self.assertEqual(gap.claim_a.topic, self.release)
