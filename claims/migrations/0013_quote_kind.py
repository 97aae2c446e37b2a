"""A claim's quote is a direct quote or reported speech (issue 11); existing ones are direct.

As in 0006, SQLite rebuilds the claims table for the new column and check,
which the open-conflict triggers of 0005 refuse: they are dropped first and
made again at the end.
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
        ('claims', '0012_declines_stance'),
        ('sources', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.AddField(
            model_name='claim',
            name='quote_kind',
            field=models.CharField(choices=[('direct', "Direct quote (the speaker's words)"), ('reported', 'Reported speech (a paraphrase)')], db_default='direct', default='direct', help_text="Reported speech is never shown in quotation marks as the speaker's words.", max_length=10, verbose_name='quote is'),
        ),
        migrations.AddField(
            model_name='historicalclaim',
            name='quote_kind',
            field=models.CharField(choices=[('direct', "Direct quote (the speaker's words)"), ('reported', 'Reported speech (a paraphrase)')], db_default='direct', default='direct', help_text="Reported speech is never shown in quotation marks as the speaker's words.", max_length=10, verbose_name='quote is'),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(('quote_kind__in', ['direct', 'reported'])), name='claim_quote_kind_valid'),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
