from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_fewer_event_indexes")]

    operations = [
        migrations.CreateModel(
            name="AuditTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=64, unique=True, verbose_name="集計キー")),
                ("event_type", models.CharField(max_length=80, verbose_name="種別")),
                ("window_start", models.DateTimeField(verbose_name="集計開始")),
                ("window_end", models.DateTimeField(db_index=True, verbose_name="集計終了")),
                ("count", models.PositiveIntegerField(default=1, verbose_name="件数")),
                ("first_at", models.DateTimeField(verbose_name="最初の日時")),
                ("last_at", models.DateTimeField(verbose_name="最後の日時")),
                ("actor_kind", models.CharField(max_length=16, verbose_name="操作者種別")),
                ("actor_id", models.CharField(blank=True, max_length=64, verbose_name="操作者ID")),
                ("actor_label", models.CharField(blank=True, max_length=255, verbose_name="操作者")),
                ("subject_type", models.CharField(blank=True, max_length=80, verbose_name="対象種別")),
                ("subject_id", models.CharField(blank=True, max_length=64, verbose_name="対象ID")),
                ("data", models.JSONField(default=dict, verbose_name="内容")),
                ("request_id", models.CharField(blank=True, max_length=64, verbose_name="リクエストID")),
                ("ip", models.CharField(blank=True, max_length=64, verbose_name="IPアドレス")),
                ("user_agent", models.CharField(blank=True, max_length=255, verbose_name="ユーザーエージェント")),
            ],
            options={
                "verbose_name": "集計中の拒否",
                "verbose_name_plural": "集計中の拒否",
                "default_permissions": (),
            },
        ),
    ]
