from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("sesstok", "0003_userepoch_password_changed_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeniedKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(max_length=64, unique=True, verbose_name="digest")),
                ("key", models.BinaryField(verbose_name="key")),
                ("expires_at", models.DateTimeField(db_index=True, verbose_name="expires")),
                ("value", models.FloatField(blank=True, null=True, verbose_name="value")),
            ],
            options={
                "verbose_name": "denylist entry",
                "verbose_name_plural": "denylist entries",
            },
        ),
    ]
