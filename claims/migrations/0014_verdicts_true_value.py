"""A resolution may record the value found to be true, and "both wrong" is an outcome (issue 15).

As in 0013, SQLite rebuilds the conflicts table for the new check, which the
open-conflict triggers of 0005 refuse: they are dropped first and made again
at the end.
"""

import importlib

import django.core.validators
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
        ('claims', '0013_quote_kind'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.AddField(
            model_name='conflict',
            name='true_as_of',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='conflict',
            name='true_quantity',
            field=models.BigIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0, message='A count cannot be negative.'), django.core.validators.MaxValueValidator(1000000000000000, message='Counts go up to 1,000,000,000,000,000; this is larger.')]),
        ),
        migrations.AddField(
            model_name='conflict',
            name='true_status',
            field=models.CharField(blank=True, choices=[('detained', 'Detained'), ('pretrial_detention', 'Detained: pretrial detention'), ('imprisoned', 'Detained: imprisoned'), ('house_arrest', 'Detained: house arrest'), ('released', 'Released'), ('unconditional_release', 'Released: unconditionally'), ('conditional_release', 'Released: conditionally (parole)'), ('exiled', 'Released: exiled'), ('deceased', 'Deceased')], max_length=30),
        ),
        migrations.AddField(
            model_name='historicalconflict',
            name='true_as_of',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='historicalconflict',
            name='true_quantity',
            field=models.BigIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(0, message='A count cannot be negative.'), django.core.validators.MaxValueValidator(1000000000000000, message='Counts go up to 1,000,000,000,000,000; this is larger.')]),
        ),
        migrations.AddField(
            model_name='historicalconflict',
            name='true_status',
            field=models.CharField(blank=True, choices=[('detained', 'Detained'), ('pretrial_detention', 'Detained: pretrial detention'), ('imprisoned', 'Detained: imprisoned'), ('house_arrest', 'Detained: house arrest'), ('released', 'Released'), ('unconditional_release', 'Released: unconditionally'), ('conditional_release', 'Released: conditionally (parole)'), ('exiled', 'Released: exiled'), ('deceased', 'Deceased')], max_length=30),
        ),
        migrations.AlterField(
            model_name='conflict',
            name='outcome',
            field=models.CharField(blank=True, choices=[('a_right', 'Claim A is right'), ('b_right', 'Claim B is right'), ('both_partly', 'Both partly right'), ('both_wrong', 'Both wrong: neither claim is right'), ('unresolvable', 'Cannot be resolved yet')], max_length=20),
        ),
        migrations.AlterField(
            model_name='historicalconflict',
            name='outcome',
            field=models.CharField(blank=True, choices=[('a_right', 'Claim A is right'), ('b_right', 'Claim B is right'), ('both_partly', 'Both partly right'), ('both_wrong', 'Both wrong: neither claim is right'), ('unresolvable', 'Cannot be resolved yet')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='conflict',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('true_quantity__isnull', True), ('true_status', '')), models.Q(('status', 'resolved'), ('true_as_of__isnull', False)), _connector='OR'), name='conflict_true_value_resolved'),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
