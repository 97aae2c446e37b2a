"""
Counts are 64-bit on SQLite and PostgreSQL alike, bounded by one constant,
QUANTITY_LIMIT: a population above 2,147,483,647 (the old 32-bit columns'
limit, which PostgreSQL enforced and SQLite did not) imports the same on both
databases, and a count above the bound gets the same clear message from the
topic form, the claim form, the API, the spreadsheet import and case files.
"""

import json

from django.test import TestCase
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.casefile import validate_case
from claims.models import QUANTITY_LIMIT, QUANTITY_LIMIT_MESSAGE, Claim, Topic
from claims.spreadsheet import check_file, import_file
from tests.cast import JanuaryCast
from tests.claims.test_import_case import claim as case_claim
from tests.claims.test_import_case import small_case
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast

POPULATION = 3_000_000_000
TOO_LARGE = QUANTITY_LIMIT + 1


class LargeCountTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.population = Topic.objects.create(
            title="Population of Asia",
            question="How many people live in Asia?",
            quantity_label="inhabitants",
            quantity_min=0,
        )

    def api_post(self, name: str, body: dict):
        token, _ = Token.objects.get_or_create(user=self.moderator)
        return self.client.post(
            reverse(f"api:{name}"),
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token.key}",
        )

    def population_row(self, count: int) -> dict:
        return row(
            Topic=self.population.title,
            Stance="affirms",
            **{"Quantity min": str(count), "Quantity max": str(count)},
        )

    def topic_body(self, highest: int) -> dict:
        return {
            "title": "World population",
            "question": "How many people live on Earth?",
            "quantity_label": "people",
            "quantity_min": 0,
            "quantity_max": highest,
            "window_days": 7,
        }

    def test_the_bound_is_above_any_count_of_people_and_exact_in_javascript(self):
        self.assertGreater(QUANTITY_LIMIT, 10 * 8_200_000_000)
        self.assertLess(QUANTITY_LIMIT, 2**53)

    def test_a_spreadsheet_count_above_two_to_the_thirty_one_imports(self):
        report = import_file(csv_file(self.population_row(POPULATION)), user=self.moderator)

        self.assertTrue(report.ok, report.errors)
        claim = Claim.objects.get(topic=self.population)
        self.assertEqual((claim.quantity_min, claim.quantity_max), (POPULATION, POPULATION))

    def test_a_spreadsheet_count_above_the_bound_is_refused_naming_its_cell(self):
        report = check_file(csv_file(self.population_row(TOO_LARGE)), user=self.moderator)

        found = {(e.row, e.column): e.message for e in report.errors}
        self.assertEqual(found[(2, "Quantity min")], QUANTITY_LIMIT_MESSAGE)
        self.assertEqual(found[(2, "Quantity max")], QUANTITY_LIMIT_MESSAGE)

    def test_the_api_takes_a_topic_with_a_large_bound_and_refuses_one_above_it(self):
        made = self.api_post("topic-list", self.topic_body(POPULATION * 3))
        refused = self.api_post("topic-list", {**self.topic_body(TOO_LARGE), "title": "Other"})

        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(Topic.objects.get(title="World population").quantity_max, 9_000_000_000)
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(refused.json()["quantity_max"], [QUANTITY_LIMIT_MESSAGE])

    def test_the_topic_form_refuses_a_bound_above_the_limit(self):
        self.client.force_login(self.editor)

        page = self.client.post(reverse("claims:topic_create"), self.topic_body(TOO_LARGE))

        self.assertEqual(page.context["form"].errors["quantity_max"], [QUANTITY_LIMIT_MESSAGE])
        self.assertFalse(Topic.objects.filter(title="World population").exists())

    def test_the_claim_form_takes_a_large_count_and_refuses_one_above_the_limit(self):
        from claims.forms import ClaimForm

        data = {
            "source": "Jen Psaki",
            "topic": self.population.title,
            "kind": "fact",
            "stance": "affirms",
            "quantity": "exactly",
            "quote": "Three billion",
            "summary": "Three billion",
            "language": "en",
            "stated_on": "2015-01-08",
            "document": self.article.title,
        }
        good = ClaimForm({**data, "quantity_n": str(POPULATION)})
        bad = ClaimForm({**data, "quantity_n": str(TOO_LARGE)})

        self.assertTrue(good.is_valid(), good.errors)
        self.assertEqual(good.instance.quantity_min, POPULATION)
        self.assertEqual(bad.errors["quantity_n"], [QUANTITY_LIMIT_MESSAGE])

    def test_a_case_file_takes_a_large_count_and_refuses_one_above_the_limit(self):
        case = small_case()
        case["topics"][0]["quantity_max"] = None
        case["claims"].append(
            case_claim(quantity_min=POPULATION, quantity_max=POPULATION, quote="Billions")
        )
        self.assertEqual([str(e) for e in validate_case(case)], [])

        case["claims"][-1]["quantity_max"] = TOO_LARGE
        self.assertEqual(
            [str(e) for e in validate_case(case)],
            [f"claims[2].quantity_max: {QUANTITY_LIMIT_MESSAGE} (value: {TOO_LARGE})"],
        )
