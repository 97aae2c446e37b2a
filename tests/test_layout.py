"""What keeps the layout whole on a phone, in the HTML and CSS (the browser journeys measure it)."""

import re
from pathlib import Path

from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from claims.models import Detainee
from tests.cast import JanuaryCast
from tests.roles import RoleCast

CSS = (Path(settings.BASE_DIR) / "static" / "crosscheck" / "site.css").read_text()
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def stacked_tables(body: str) -> list[str]:
    return re.findall(r'<table class="[^"]*\bstack\b[^"]*">.*?</table>', body, re.S)


class StackedTablesTests(RoleCast, JanuaryCast, TestCase):
    def test_every_cell_of_every_list_table_is_labelled_by_its_heading(self):
        ferrer = Detainee.objects.create(name="José Daniel Ferrer")
        ferrer.topics.add(self.release)
        self.claim(
            self.psaki,
            detainee=ferrer,
            stance="affirms",
            status="released",
            quote="Out",
            summary="Ferrer out",
        )
        pages = [
            reverse("claims:home"),
            reverse("sources:list"),
            reverse("claims:detainees"),
            f"{reverse('claims:status_board')}?topic={self.release.slug}",
            self.release.get_absolute_url(),
            ferrer.get_absolute_url(),
        ]
        for url in pages:
            with self.subTest(url):
                tables = stacked_tables(self.client.get(url).content.decode())
                self.assertTrue(tables, "no stacked table")
                for table in tables:
                    cells = re.findall(r"<td\b[^>]*>", table)
                    self.assertTrue(cells)
                    unlabelled = [c for c in cells if "data-label=" not in c]
                    self.assertEqual(unlabelled, [])

    def test_the_narrow_layout_hides_the_heading_row_with_the_cells_it_heads(self):
        narrow = CSS[CSS.index("@media (max-width: 45rem)") :]

        self.assertIn("table.stack thead {", narrow)
        self.assertIn("content: attr(data-label)", narrow)
        # No rule hides a column's cells while its heading stays.
        self.assertNotRegex(CSS, r"td:nth-child\(\d+\)\s*\{\s*display:\s*none")


class ButtonsTests(TestCase):
    def test_every_action_button_says_its_consequence_by_class(self):
        buttons = []
        for template in TEMPLATES.rglob("*.html"):
            for tag in re.findall(r"<button\b[^>]*>", template.read_text()):
                if "linklike" not in tag:
                    buttons.append((template.name, tag))

        self.assertTrue(buttons)
        for name, tag in buttons:
            with self.subTest(name, tag=tag):
                self.assertRegex(tag, r'class="button button-(primary|neutral|destructive)\b')

    def test_reject_retract_dismiss_and_hide_are_destructive(self):
        for name, label in [
            ("queue.html", "Reject"),
            ("claim.html", "Retract"),
            ("conflicts.html", "Dismiss"),
            ("notes.html", "Hide from readers"),
        ]:
            with self.subTest(label):
                text = next(TEMPLATES.rglob(f"moderation/{name}")).read_text()
                self.assertRegex(text, rf'class="button button-destructive">{label}')

    def test_buttons_are_sized_for_touch(self):
        rule = re.search(r"\.button \{([^}]*)\}", CSS).group(1)

        self.assertIn("min-height: 44px", rule)
        self.assertIn("min-width: 44px", rule)

    def test_long_unbroken_strings_wrap(self):
        self.assertRegex(CSS, r"main, \.site-footer \{ overflow-wrap: anywhere; \}")
