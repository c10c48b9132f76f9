"""A starter catalogue of 委任事項 templates (the matters most delegations of 入札・契約 name); staff
revise and retire them in the admin from then on, each change a version and an audit event."""

from django.db import migrations

STARTER = [
    (
        "bidding",
        10,
        "入札・見積と契約の締結（年間委任）",
        "1. 入札及び見積に関する件\n"
        "2. 契約の締結に関する件\n"
        "3. 契約代金の請求及び受領に関する件\n"
        "4. 入札保証金及び契約保証金の納付並びに還付請求及び受領に関する件\n"
        "5. 契約の履行に関する件\n"
        "6. 復代理人の選任及び解任に関する件",
        "",
    ),
    (
        "bidding",
        20,
        "入札・見積への参加のみ",
        "1. 入札及び見積に関する件\n2. 入札保証金の納付並びに還付請求及び受領に関する件",
        "契約の締結は含まない",
    ),
    (
        "procurement",
        10,
        "物品購入契約の締結",
        "1. 物品の購入に関する契約の締結\n2. 上記契約に係る請求書の受領",
        "1件 500 万円以下の契約に限る",
    ),
    ("finance", 10, "代金の請求及び受領", "1. 契約代金の請求及び受領に関する件", ""),
    (
        "filings",
        10,
        "行政機関への電子申請・届出",
        "1. 行政機関への電子申請及び届出\n2. 上記申請及び届出に係る補正及び取下げ",
        "",
    ),
]


def add_starter(apps, schema_editor):
    MatterTemplate = apps.get_model("delegations", "MatterTemplate")
    for category, position, label, powers, limitations in STARTER:
        MatterTemplate.objects.get_or_create(
            label=label,
            defaults={"category": category, "position": position, "powers": powers, "limitations": limitations},
        )


class Migration(migrations.Migration):
    dependencies = [("delegations", "0011_matter_templates")]

    operations = [migrations.RunPython(add_starter, migrations.RunPython.noop)]
