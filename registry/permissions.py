"""What each trusted role may do with the registry (§7.2.1), joined by mynatrust.roles."""

from mynatrust.roles import Grants, Role

GRANTS: Grants = {
    # Reception examines applications and changes and keeps the contracts (§3.1, §3.2).
    Role.RECEPTION: (
        "registry.view_subscriber",
        "registry.review_subscriber",
        "registry.manage_contract",
        "registry.view_subscriberfacts",
        "registry.view_registryevidence",
        "registry.view_membership",
        "registry.view_invitation",
        "registry.view_corporaterecord",
        "registry.view_importrun",
        "registry.view_datarequest",
        "registry.add_datarequest",
        "registry.change_datarequest",
    ),
    # The auditor reads everything and changes nothing (§7.2.1).
    Role.AUDITOR: (
        "registry.view_subscriber",
        "registry.view_subscriberfacts",
        "registry.view_datarequest",
    ),
}
