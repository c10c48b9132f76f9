from __future__ import annotations

import getpass
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from mynatrust.staff import StaffError, bootstrap_service_manager


class Command(BaseCommand):
    help = (
        "Appoint the first service manager of a new installation. Refused once an active service "
        "manager exists; from then on appointments are made in the admin."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        try:
            validate_password(password)
        except ValidationError as err:
            raise CommandError(" ".join(err.messages)) from err
        try:
            user, link = bootstrap_service_manager(options["email"], password, display_name=options["display_name"])
        except StaffError as err:
            raise CommandError(err.message) from err
        self.stdout.write(
            self.style.SUCCESS(
                f"Appointed {user.email} as service manager. Open this one-time link, confirm the password "
                f"and enrol your authenticator (valid {settings.STAFF_INVITATION_HOURS} h):\n{link}"
            )
        )
