"""Lists against persons and interested parties (issue 14, points 1 and 2).

Topic.counts_status, the list-contradiction conflict kind with its witnesses,
and TopicParty. The conflict kind's check constraint lists the kinds, so it
is rebuilt; SQLite rebuilds the conflicts table to do that, which the
open-conflict triggers of migration 0005 refuse: dropped first and made
again at the end, as in 0012.
"""

import importlib

import claims.models
import crosscheck.text
import django.db.models.deletion
import simple_history.models
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
        ("claims", "0015_relays_asof_relays"),
        ('sources', '0004_source_aliases'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.CreateModel(
            name='HistoricalTopicParty',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('reason', models.TextField(help_text='Why it is a party, e.g. “Signed the Dec. 17 agreement.”', max_length=1000)),
                ('withdrawn', models.BooleanField(default=False)),
                ('withdrawn_reason', models.TextField(blank=True, max_length=1000)),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.TextField(null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical topic party',
                'verbose_name_plural': 'historical topic parties',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='TopicParty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.TextField(help_text='Why it is a party, e.g. “Signed the Dec. 17 agreement.”', max_length=1000)),
                ('withdrawn', models.BooleanField(default=False)),
                ('withdrawn_reason', models.TextField(blank=True, max_length=1000)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name_plural': 'topic parties',
                'ordering': ['topic', 'source__name'],
            },
            bases=(crosscheck.text.TextPolicyModel, models.Model),
        ),
        migrations.RemoveConstraint(
            model_name='conflict',
            name='conflict_kind_valid',
        ),
        migrations.AddField(
            model_name='conflict',
            name='witnesses',
            field=models.ManyToManyField(blank=True, related_name='witnessed_conflicts', to='claims.claim'),
        ),
        migrations.AddField(
            model_name='historicaltopic',
            name='counts_status',
            field=models.CharField(blank=True, choices=claims.models.counted_status_choices, help_text="The count counts the topic's detainees in this status, e.g. “Released”: then named releases bound it. Empty: the count stands alone.", max_length=30),
        ),
        migrations.AddField(
            model_name='topic',
            name='counts_status',
            field=models.CharField(blank=True, choices=claims.models.counted_status_choices, help_text="The count counts the topic's detainees in this status, e.g. “Released”: then named releases bound it. Empty: the count stands alone.", max_length=30),
        ),
        migrations.AlterField(
            model_name='conflict',
            name='kind',
            field=models.CharField(choices=[('contradiction', 'Contradiction'), ('gap', 'Gap (one source has no information)'), ('list_contradiction', 'List contradiction (a count against the named persons)')], max_length=20),
        ),
        migrations.AlterField(
            model_name='historicalconflict',
            name='kind',
            field=models.CharField(choices=[('contradiction', 'Contradiction'), ('gap', 'Gap (one source has no information)'), ('list_contradiction', 'List contradiction (a count against the named persons)')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='conflict',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['contradiction', 'gap', 'list_contradiction'])), name='conflict_kind_valid'),
        ),
        migrations.AddField(
            model_name='historicaltopicparty',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicaltopicparty',
            name='source',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='sources.source'),
        ),
        migrations.AddField(
            model_name='historicaltopicparty',
            name='topic',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='claims.topic'),
        ),
        migrations.AddField(
            model_name='topicparty',
            name='source',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='party_to', to='sources.source'),
        ),
        migrations.AddField(
            model_name='topicparty',
            name='topic',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='parties', to='claims.topic'),
        ),
        migrations.AddConstraint(
            model_name='topicparty',
            constraint=models.UniqueConstraint(fields=('topic', 'source'), name='topicparty_one_per_source'),
        ),
        migrations.AddConstraint(
            model_name='topicparty',
            constraint=models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='topicparty_reason_not_empty'),
        ),
        migrations.AddConstraint(
            model_name='topicparty',
            constraint=models.CheckConstraint(condition=models.Q(('withdrawn', False), models.Q(('withdrawn_reason', ''), _negated=True), _connector='OR'), name='topicparty_withdrawn_has_reason'),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
]
