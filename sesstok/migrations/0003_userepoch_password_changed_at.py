from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sesstok", "0002_blacklistedrefreshtoken"),
    ]

    operations = [
        migrations.AddField(
            model_name="userepoch",
            name="password_changed_at",
            field=models.FloatField(default=0.0),
        ),
    ]
