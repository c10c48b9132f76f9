"""What each trusted role may do with recipients and their keys (§7.2.1), joined by mynatrust.roles."""

from mynatrust.roles import Grants, Role

GRANTS: Grants = {
    # Reception reviews recipient registrations (§5.2) and reads who was invited to them; the service
    # administrator watches keys and invitations.
    Role.RECEPTION: (
        "validity.view_recipientorganisation",
        "validity.decide_recipientorganisation",
        "validity.view_recipientinvitation",
        "validity.view_apikey",
    ),
    Role.SERVICE_ADMINISTRATOR: (
        "validity.view_recipientorganisation",
        "validity.view_recipientinvitation",
        "validity.view_apikey",
    ),
}
