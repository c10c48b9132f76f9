"""Applications (§3.1): apply, with the terms and the privacy notice accepted on the way (their
review is registry.services.review)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit
from kernel.services import record_refusal
from mynatrust import mail_limits
from mynatrust.repository.services import accept_current_terms, record_privacy_notice
from mynatrust.repository.terms import current_terms_version
from registry import reception
from registry.models import (
    Membership,
    StagedEvidence,
    Subscriber,
    SubscriberFacts,
)
from registry.services.common import (
    CORPORATE_NUMBER_REQUIRED,
    RegistryError,
    _declared,
)
from registry.services.confirmation import take_held
from registry.services.corporate import _nta_check
from registry.services.evidence import EvidenceInput, _store_evidence
from registry.services.mail import _mail_on_commit, _receipt_of

if TYPE_CHECKING:
    from mynatrust.models import User


def terms_version_in_force() -> str:
    """The version of the terms of use applicants agree to: the published one, else the setting."""
    return current_terms_version() or settings.REGISTRY_TERMS_VERSION


def _require_title(kind: str, facts: dict[str, Any]) -> None:
    # §3.1.1 代表者の肩書; every delegation of a corporation carries it (§4.1.4 Table 4-1).
    if kind == Subscriber.Kind.CORPORATION and not str(facts.get("representative_title") or "").strip():
        raise RegistryError(
            _("法人は代表者の肩書（例：代表取締役）を入力してください。"),
            code="title_missing",
            field="representative_title",
        )


def apply_for_registration(
    *,
    actor: User,
    kind: str,
    corporate_number: str,
    facts: dict[str, Any],
    evidence: EvidenceInput | None,
    terms_accepted: bool,
    antisocial_declared: bool,
    held: StagedEvidence | None = None,
) -> Subscriber:
    """A subscriber-kind account applies for its business; it becomes the applicant member. From the
    form's final button, ``held`` is the confirmation's held file: used once, gone with the
    application's commit, and deleted when the application is refused."""
    check = _nta_check(kind, corporate_number, facts)  # a network call: before the transaction
    same_number = _same_number(kind, corporate_number, actor)  # counts mails: before the transaction
    try:
        with transaction.atomic():
            if held is not None:
                take_held(held)
            subscriber = _apply(
                same_number=same_number,
                actor=actor,
                kind=kind,
                corporate_number=corporate_number,
                facts=facts,
                evidence=evidence,
                terms_accepted=terms_accepted,
                antisocial_declared=antisocial_declared,
                check=check,
            )
            if current_terms_version() is not None:
                # Agreeing in the application form is the acceptance the member area asks for.
                accept_current_terms(actor, actor=actor)
            # The privacy notice shown beside the form (§2.8(2)): its version is recorded too.
            record_privacy_notice(actor, actor=actor)
    except RegistryError as exc:
        if held is not None:
            StagedEvidence.objects.filter(owner=actor).delete()
        record_refusal("registry.subscriber.apply_refused", exc, actor=actor, corporate_number=corporate_number)
        raise
    return subscriber


def _same_number(kind: str, corporate_number: str, actor: User) -> tuple[list[Subscriber], list[str]]:
    """The subscribers already registered or applying under ``corporate_number``, and those of their
    administrators' addresses to tell (mail limits apply)."""
    if kind != Subscriber.Kind.CORPORATION or not corporate_number or Membership.objects.filter(user=actor).exists():
        return [], []
    others = list(
        Subscriber.objects.filter(corporate_number=corporate_number).exclude(
            status__in=[Subscriber.Status.REJECTED, Subscriber.Status.TERMINATED]
        )
    )
    roles = (Membership.Role.APPLICANT, Membership.Role.ADMINISTRATOR)
    addresses = Membership.objects.filter(subscriber__in=others, role__in=roles).values_list("user__email", flat=True)
    told = [a for a in addresses if mail_limits.allow(mail_limits.SAME_NUMBER_APPLICATION, to=a, account=actor)]
    return others, told


def _apply(
    *,
    same_number: tuple[list[Subscriber], list[str]],
    actor: User,
    kind: str,
    corporate_number: str,
    facts: dict[str, Any],
    evidence: EvidenceInput | None,
    terms_accepted: bool,
    antisocial_declared: bool,
    check: dict[str, Any],
) -> Subscriber:
    corporate_number = _check_application(
        actor=actor,
        kind=kind,
        corporate_number=corporate_number,
        facts=facts,
        terms_accepted=terms_accepted,
        antisocial_declared=antisocial_declared,
    )
    # A number already registered or applied for is accepted like any other: the form never tells
    # whether a company is a subscriber (§2.7.1). Reception sees the others (§3.1.3) and approves at
    # most one; the other subscriber's administrators are told by mail.
    now = timezone.now()
    subscriber = Subscriber.objects.create(
        kind=kind,
        corporate_number=corporate_number,
        terms_version=terms_version_in_force(),
        terms_accepted_at=now,
        antisocial_declared_at=now,
        applied_at=now,
    )
    version = SubscriberFacts.objects.create(
        subscriber=subscriber,
        version=1,
        submitted_by=actor,
        submitted_at=now,
        nta_check=check,
        reception_number=reception.next_number(reception.APPLICATION),
        **_declared(facts),
    )
    Membership.objects.create(user=actor, subscriber=subscriber, role=Membership.Role.APPLICANT)
    # Registries are checked for corporations and 団体 only (§3.1.3): a sole proprietor applies
    # without one (a business-address document may still be attached) and is identified by their
    # own JPKI signature and basic four items when they sign (§3.1.1, Table 4-1).
    if evidence is not None or kind != Subscriber.Kind.SOLE_PROPRIETOR:
        _store_evidence(version, evidence, actor=actor)
    _announce_application(version, same_number=same_number, check=check, actor=actor)
    return subscriber


def _check_application(
    *,
    actor: User,
    kind: str,
    corporate_number: str,
    facts: dict[str, Any],
    terms_accepted: bool,
    antisocial_declared: bool,
) -> str:
    """Refuse what may not apply; returns the corporate number to store (none for a sole proprietor)."""
    if getattr(actor, "kind", None) != "subscriber":
        raise RegistryError(_("利用者アカウントでログインしてください。"), code="not_subscriber_account")
    if Membership.objects.filter(user=actor).exists():
        raise RegistryError(_("このアカウントは既に利用者に所属しています。"), code="already_member")
    if not terms_accepted or not antisocial_declared:
        raise RegistryError(_("利用約款への同意と表明が必要です。"), code="consent_missing")
    if kind == Subscriber.Kind.CORPORATION and not corporate_number:
        raise RegistryError(CORPORATE_NUMBER_REQUIRED, code="corporate_number_missing")
    _require_title(kind, facts)
    if kind == Subscriber.Kind.SOLE_PROPRIETOR:
        if not facts.get("representative_birth_date"):
            raise RegistryError(
                _("個人事業主は生年月日を入力してください。"),
                code="birth_date_missing",
                field="representative_birth_date",
            )
        return ""
    return corporate_number


def _announce_application(
    version: SubscriberFacts,
    *,
    same_number: tuple[list[Subscriber], list[str]],
    check: dict[str, Any],
    actor: User,
) -> None:
    """The application's event, its receipt to the applicant, and a word to the administrators of
    the other subscribers under the same number."""
    subscriber = version.subscriber
    audit.record(
        "registry.subscriber.applied",
        actor=actor,
        subject=subscriber,
        kind=subscriber.kind,
        corporate_number=subscriber.corporate_number,
        terms_version=subscriber.terms_version,
        nta_findings=check.get("findings", []),
        same_number_as=[other.public_id for other in same_number[0]],
        reception_number=version.reception_number,
    )
    _mail_on_commit(subscriber, "applied", _receipt_of(version))
    for other in same_number[0]:
        told = [a for a in same_number[1] if other.memberships.filter(user__email__iexact=a).exists()]
        _mail_on_commit(other, "same_number_applied", {}, recipients=told)
