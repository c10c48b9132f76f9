"""The public repository (リポジトリ, §2.5): versioned documents (terms of use, operating rules),
notices (告知情報) and the service's identity, published around the clock at /repository/.

Other apps use only these functions (see mynatrust/repository/terms.py)::

    from mynatrust.repository.terms import current_terms_version, has_accepted_current_terms
    from mynatrust.repository.services import accept_current_terms
"""

from __future__ import annotations

from mynatrust.roles import Role, grant

# Who does what here (§9.2): an operator drafts documents and notices, the service manager approves
# documents (never their own draft) and alone publishes a service-termination notice.
grant(
    Role.SERVICE_OPERATOR,
    "mynatrust.view_documentversion",
    "mynatrust.add_documentversion",
    "mynatrust.change_documentversion",
    "mynatrust.view_notice",
    "mynatrust.add_notice",
    "mynatrust.change_notice",
    "mynatrust.publish_notice",
)
grant(
    Role.SERVICE_MANAGER,
    "mynatrust.view_documentversion",
    "mynatrust.add_documentversion",
    "mynatrust.change_documentversion",
    "mynatrust.approve_documentversion",
    "mynatrust.view_notice",
    "mynatrust.add_notice",
    "mynatrust.change_notice",
    "mynatrust.publish_notice",
    "mynatrust.publish_termination_notice",
)
grant(Role.AUDITOR, "mynatrust.view_documentversion", "mynatrust.view_notice", "mynatrust.view_termsacceptance")

# The business procedures (§7.2.4): drafted by the service administrator, approved by the service
# manager (who holds approve_documentversion), read by every member of staff.
grant(
    Role.SERVICE_ADMINISTRATOR,
    "mynatrust.add_proceduredocument",
    "mynatrust.change_proceduredocument",
)
for _role in Role:
    grant(_role, "mynatrust.view_proceduredocument")
