"""What each trusted role may do with the public repository, joined by mynatrust.roles.

Who does what here (§9.2): an operator drafts documents and notices, the service manager approves
documents (never their own draft) and alone publishes a service-termination notice. The business
procedures (§7.2.4) are drafted by the service administrator, approved by the service manager (who
holds approve_documentversion) and read by every member of staff.
"""

from mynatrust.roles import Grants, Role

PROCEDURES_READ = "mynatrust.view_proceduredocument"

GRANTS: Grants = {
    Role.SERVICE_OPERATOR: (
        "mynatrust.view_documentversion",
        "mynatrust.add_documentversion",
        "mynatrust.change_documentversion",
        "mynatrust.view_notice",
        "mynatrust.add_notice",
        "mynatrust.change_notice",
        "mynatrust.publish_notice",
        PROCEDURES_READ,
    ),
    Role.SERVICE_MANAGER: (
        "mynatrust.view_documentversion",
        "mynatrust.add_documentversion",
        "mynatrust.change_documentversion",
        "mynatrust.approve_documentversion",
        "mynatrust.view_notice",
        "mynatrust.add_notice",
        "mynatrust.change_notice",
        "mynatrust.publish_notice",
        "mynatrust.publish_termination_notice",
        PROCEDURES_READ,
    ),
    Role.AUDITOR: (
        "mynatrust.view_documentversion",
        "mynatrust.view_notice",
        "mynatrust.view_termsacceptance",
        PROCEDURES_READ,
    ),
    Role.SERVICE_ADMINISTRATOR: (
        "mynatrust.add_proceduredocument",
        "mynatrust.change_proceduredocument",
        PROCEDURES_READ,
    ),
    Role.RECEPTION: (PROCEDURES_READ,),
    Role.MAINTENANCE: (PROCEDURES_READ,),
}
