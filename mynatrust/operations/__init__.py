"""Operations: the written records the rules require (ledgers, §2.6, §2.7.2–§2.7.4, §6.2.9, §7.1.1,
§7.1.5–§7.1.6, §7.2.2, §8.1, §10.1.1, §10.2.1, §10.2.2), record retention (§6.2.9, §2.8(10)), health checks and metrics.

Extension points for other apps (see docs/retention.md and docs/runbook.md):

- ``mynatrust.operations.retention.register(RecordKind(...))`` — a kind of record with a period;
- ``mynatrust.operations.health.register(name, func)`` — a check reported by /healthz;
- ``mynatrust.operations.metrics.register_gauge(name, help, func)`` — a gauge read at each scrape.
"""

from __future__ import annotations

from mynatrust.roles import Role

# Each ledger is written by the role the rules name and read by the auditor, who alone exports them
# (the permissions are defined by the ledger models in mynatrust/operations/models.py and granted in
# mynatrust/operations/permissions.py).
WRITERS: dict[str, Role] = {
    "entryexitrecord": Role.SERVICE_ADMINISTRATOR,
    # The service manager keeps the rack keys and their lending ledger (§7.1.1, §7.2.1).
    "rackkeyloan": Role.SERVICE_MANAGER,
    "adminpasswordloan": Role.SERVICE_MANAGER,
    "maintenancerecord": Role.MAINTENANCE,
    "configurationchange": Role.SERVICE_OPERATOR,
    "incidentrecord": Role.SERVICE_ADMINISTRATOR,
    "operationsmeeting": Role.SERVICE_MANAGER,
    "suitabilitycheck": Role.SERVICE_MANAGER,
    "internalauditreport": Role.AUDITOR,
    # Customer inquiries are reception's (§10.2.1); a disclosure is approved by the service
    # manager (§2.7.2–§2.7.4); media in the locked store go with entry control (§7.1.5, §7.1.6).
    "inquiryrecord": Role.RECEPTION,
    "disclosurerecord": Role.SERVICE_MANAGER,
    "mediarecord": Role.SERVICE_ADMINISTRATOR,
}

from mynatrust.operations import checks as _checks  # noqa: E402, F401  (registers the system checks)
