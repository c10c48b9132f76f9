"""What each trusted role may do with the operations ledgers, joined by mynatrust.roles: each ledger
is written by the role the rules name (mynatrust.operations.WRITERS), read by the auditor, who alone
exports them, and overseen by the service manager (§7.2.1)."""

from mynatrust.operations import WRITERS
from mynatrust.roles import Grants, Role


def _grants() -> dict[Role, list[str]]:
    table: dict[Role, list[str]] = {Role.AUDITOR: ["mynatrust.export_ledgers"], Role.SERVICE_MANAGER: []}
    for model, writer in WRITERS.items():
        table.setdefault(writer, []).extend([f"mynatrust.add_{model}", f"mynatrust.view_{model}"])
        table[Role.AUDITOR].append(f"mynatrust.view_{model}")
        table[Role.SERVICE_MANAGER].append(f"mynatrust.view_{model}")
    return table


GRANTS: Grants = _grants()
