"""A variable's current claims by the day they are about (issue 16, the claim page).

The claim page's agreeing sources are read from the approved, current claims
inside one window of the claim's date: this index finds them without reading
the whole variable (24,000 claims on the busiest at a million).
"""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0020_claim_source_topic_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                models.F("topic"),
                models.F("detainee"),
                django.db.models.functions.comparison.Coalesce("as_of", "stated_on"),
                condition=models.Q(("state", "approved"), ("superseded_by__isnull", True)),
                name="claim_current_day_idx",
            ),
        ),
    ]
