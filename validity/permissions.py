"""What each trusted role may do with recipients and their keys (§7.2.1), joined by mynatrust.roles."""

from mynatrust.roles import Grants, Role

GRANTS: Grants = {
    # Reception reviews recipient registrations (§5.2); the service administrator watches keys.
    Role.RECEPTION: (
        "validity.view_recipientorganisation",
        "validity.decide_recipientorganisation",
        "validity.view_apikey",
    ),
    Role.SERVICE_ADMINISTRATOR: ("validity.view_recipientorganisation", "validity.view_apikey"),
}
