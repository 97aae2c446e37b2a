"""A claim may relay another claim or source (issue 14, point 3: echoes).

As in 0013, SQLite rebuilds the claims table for the new checks, which the
open-conflict triggers of 0005 refuse: they are dropped first and made again
at the end.
"""

import importlib

import django.db.models.deletion
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
        ("claims", "0014_verdicts_true_value"),
        ("sources", "0004_source_aliases"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.AddField(
            model_name="claim",
            name="relays",
            field=models.ForeignKey(
                blank=True,
                help_text="The recorded claim whose words this one repeats (according to ...).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="relayed_by",
                to="claims.claim",
                verbose_name="relays claim",
            ),
        ),
        migrations.AddField(
            model_name="claim",
            name="relays_source",
            field=models.ForeignKey(
                blank=True,
                help_text="Whose words this claim repeats, when their own statement is not recorded.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="relayed_in",
                to="sources.source",
                verbose_name="relays source",
            ),
        ),
        migrations.AddField(
            model_name="historicalclaim",
            name="relays",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The recorded claim whose words this one repeats (according to ...).",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="claims.claim",
                verbose_name="relays claim",
            ),
        ),
        migrations.AddField(
            model_name="historicalclaim",
            name="relays_source",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="Whose words this claim repeats, when their own statement is not recorded.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="sources.source",
                verbose_name="relays source",
            ),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("relays__isnull", True),
                    models.Q(("relays", models.F("id")), _negated=True),
                    _connector="OR",
                ),
                name="claim_relays_not_itself",
            ),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("relays_source__isnull", True),
                    models.Q(("relays_source", models.F("source")), _negated=True),
                    _connector="OR",
                ),
                name="claim_relays_not_own_source",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
