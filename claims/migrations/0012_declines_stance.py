"""A fact claim may decline to say (issue 11): a stance of its own.

The stance's check constraint lists the stances, so it is rebuilt; SQLite
rebuilds the whole claims table to do that, which the open-conflict triggers
of migration 0005 refuse (they name the table being swapped): they are
dropped first and made again at the end, on both databases alike.
"""

import importlib

from django.conf import settings
from django.db import migrations, models

marks = importlib.import_module("claims.migrations.0005_claim_in_open_conflict")


def drop_triggers(apps, schema_editor):
    marks.drop_triggers(apps, schema_editor)


def create_triggers(apps, schema_editor):
    marks.drop_triggers(apps, schema_editor)
    marks.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ('claims', '0011_publish'),
        ("sources", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.RemoveConstraint(
            model_name="claim",
            name="claim_stance_matches_kind",
        ),
        migrations.AlterField(
            model_name="claim",
            name="stance",
            field=models.CharField(
                blank=True,
                choices=[
                    ("affirms", "Affirms"),
                    ("denies", "Denies"),
                    ("no_information", "No information"),
                    ("declines", "Declines to say"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicalclaim",
            name="stance",
            field=models.CharField(
                blank=True,
                choices=[
                    ("affirms", "Affirms"),
                    ("denies", "Denies"),
                    ("no_information", "No information"),
                    ("declines", "Declines to say"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("kind", "fact"),
                        ("stance__in", ["affirms", "denies", "no_information", "declines"]),
                    ),
                    models.Q(("kind", "position"), ("stance", "")),
                    _connector="OR",
                ),
                name="claim_stance_matches_kind",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
