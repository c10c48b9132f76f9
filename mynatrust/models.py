from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mynatrust.lib.email_address import canonical_email
from mynatrust.roles import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=canonical_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        raise ValueError("Superusers are not allowed: appoint a service manager with 'manage.py staff bootstrap'.")

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=canonical_email(username))

    def staff(self) -> models.QuerySet[User]:
        return self.filter(kind=User.Kind.STAFF, is_staff=True)


class User(AbstractBaseUser, PermissionsMixin):
    """Every account: subscriber staff, recipients and service staff, told apart by ``kind``."""

    class Kind(models.TextChoices):
        SUBSCRIBER = "subscriber", _("利用者")
        RECIPIENT = "recipient", _("受領者等")
        STAFF = "staff", _("サービス職員")

    email = models.EmailField(_("メールアドレス"), unique=True)
    display_name = models.CharField(_("氏名"), max_length=150, blank=True)
    kind = models.CharField(_("アカウント種別"), max_length=16, choices=Kind.choices)
    is_active = models.BooleanField(_("有効"), default=True)
    is_staff = models.BooleanField(_("職員"), default=False)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    email_confirmed_at = models.DateTimeField(_("メール確認日時"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("アカウント")
        verbose_name_plural = _("アカウント")
        permissions = [
            ("manage_staff", _("職員の任命・役割変更・解任")),
            ("view_health", _("稼働状況の閲覧")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(kind="staff"),
                name="user_only_staff_kind_reaches_admin",
            ),
            models.CheckConstraint(condition=models.Q(is_superuser=False), name="user_no_superuser"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def acts_for_subscriber(self) -> bool:
        return self.kind == self.Kind.SUBSCRIBER

    @property
    def acts_for_recipient(self) -> bool:
        return self.kind == self.Kind.RECIPIENT

    @property
    def is_service_staff(self) -> bool:
        return self.kind == self.Kind.STAFF

    def clean(self) -> None:
        super().clean()
        self.email = canonical_email(self.email)

    @property
    def staff_role(self) -> Role | None:
        if self.kind != self.Kind.STAFF:
            return None
        names = [g.name for g in self.groups.all()]
        return Role(names[0]) if len(names) == 1 and names[0] in Role.values else None

    def has_role(self, *roles: Role) -> bool:
        role = self.staff_role
        return self.is_active and self.is_staff and role is not None and role in roles


class StaffInvitation(models.Model):
    """A one-time link to a staff member's own mailbox: with it they set their own password (a new
    appointment) or confirm the one they have (a second factor reset), and enrol their own second
    factor in the same browser session. Only a SHA-256 of the token is kept."""

    class Purpose(models.TextChoices):
        APPOINTMENT = "appointment", _("任命")
        REENROLMENT = "reenrolment", _("二要素認証の再登録")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="staff_invitations", verbose_name=_("職員"))
    purpose = models.CharField(_("目的"), max_length=16, choices=Purpose.choices)
    token_sha256 = models.CharField(_("トークンのSHA-256"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("発行者")
    )
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("発行日時"), default=timezone.now)
    expires_at = models.DateTimeField(_("有効期限"))
    used_at = models.DateTimeField(_("使用日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("職員の招待")
        verbose_name_plural = _("職員の招待")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user} ({self.get_purpose_display()})"

    @property
    def is_appointment(self) -> bool:
        return self.purpose == self.Purpose.APPOINTMENT


class StaffAppointment(models.Model):
    """An appointment or a change of role (任命・配置, §7.2.2) and the suitability check recorded for
    it beforehand in the ledger. One check serves one appointment; the ledger entry itself is never
    changed (mynatrust/operations/models.py)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("職員"))
    role = models.CharField(_("役割"), max_length=32, choices=Role.choices)
    suitability = models.OneToOneField(
        "mynatrust.SuitabilityCheck",
        on_delete=models.PROTECT,
        related_name="appointment",
        verbose_name=_("適格性確認記録"),
    )
    appointed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("任命者"))
    appointed_at = models.DateTimeField(_("任命日時"), default=timezone.now)

    class Meta:
        verbose_name = _("職員の任命記録")
        verbose_name_plural = _("職員の任命記録")
        default_permissions = ()
        ordering = ["-appointed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


# The ledgers and the repository keep their models beside their services, in this app (label
# "mynatrust"); importing the modules here registers them when Django loads the app's models.
# Code imports them from where they are defined, never through this module.
from mynatrust.operations import models as operations_models  # noqa: E402, F401
from mynatrust.outbox import models as outbox_models  # noqa: E402, F401
from mynatrust.repository import models as repository_models  # noqa: E402, F401
