"""Plausible delegation contents for tests, the demo and benchmarks (fictitious people and firms)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from .content import (
    Agent,
    AgentIdentifierKind,
    CorporatePrincipal,
    DelegationContent,
    Qualification,
    ServiceInfo,
    SoleProprietorPrincipal,
)

SAMPLE_ID = "7K3Q-9XWA-2M4P-HJ"  # valid: the check symbol of 7K3Q9XWA2M4PH is J

CORPORATION = CorporatePrincipal(
    corporate_number="5835678256246",
    name="株式会社マイナ商事",
    head_office_address="東京都千代田区霞が関二丁目1番2号",
    representative_title="代表取締役",
    representative_name="山田　太郎",
)

SOLE_PROPRIETOR = SoleProprietorPrincipal(
    trade_name="やまだ商店",
    name="山田　花子",
    business_address="大阪府大阪市北区梅田一丁目2番3号",
    date_of_birth=date(1975, 3, 4),
)

EMPLOYEE = Agent(
    name="佐藤　一郎",
    title="経理部長",
    address="神奈川県横浜市中区本町一丁目1番地",
    identifier_kind=AgentIdentifierKind.EMPLOYEE_NUMBER,
    identifier="E-01234",
)

TAX_ACCOUNTANT = Agent(
    name="鈴木　次郎",
    qualification=Qualification.TAX_ACCOUNTANT,
    address="埼玉県さいたま市浦和区高砂三丁目4番5号",
    identifier_kind=AgentIdentifierKind.QUALIFICATION_REGISTRATION_NUMBER,
    identifier="123456",
)

POWERS = (
    "1. 入札及び見積りに関する一切の件\n2. 契約の締結及び代金の請求並びに受領に関する件\n3. 復代理人の選任に関する件"
)
LIMITATIONS = "1件当たりの契約金額が1,000万円を超える契約の締結を除く。"


def sample_delegation(delegation_id: str = SAMPLE_ID, **changes: Any) -> DelegationContent:
    content = DelegationContent(
        delegation_id=delegation_id,
        issued_on=date(2026, 11, 25),
        service=ServiceInfo.for_delegation(
            delegation_id,
            name="MynaTrust e-LOA",
            policy_url="https://eloa.mynatrust.example.jp/repository/",
            base_url="https://eloa.mynatrust.example.jp",
        ),
        principal=CORPORATION,
        agent=EMPLOYEE,
        powers=POWERS,
        limitations=LIMITATIONS,
        valid_from=date(2026, 12, 1),
        valid_until=date(2027, 11, 30),
    )
    return dataclasses.replace(content, **changes) if changes else content


def long_powers(items: int = 120) -> str:
    """Powers long enough to run over several pages."""
    return "\n".join(
        f"{n}. 第{n}号工事に係る入札、見積り、契約の締結、契約金額の変更、代金の請求及び受領並びにこれらに付随する一切の行為"
        for n in range(1, items + 1)
    )
