"""System checks for signature verification (run by `manage.py check --deploy`), said in the language
active when they run (Japanese for the operator, like every command)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils.translation import gettext


@register(Tags.security, deploy=True)
def test_pki_not_trusted_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not settings.PRODUCTION:
        return []
    from delegations.models import TrustAnchor

    try:
        anchors = list(
            TrustAnchor.objects.active().only("fingerprint_sha256", "is_test_pki", "certificate_der", "purpose")
        )
    except DatabaseError:
        return []  # no tables yet (before migrate): nothing can be trusted
    from cryptography import x509

    from delegations.signatures.testpki import is_test_pki_certificate

    messages: list[CheckMessage] = []
    for anchor in anchors:
        if anchor.is_test_pki or is_test_pki_certificate(x509.load_der_x509_certificate(bytes(anchor.certificate_der))):
            messages.append(
                Error(
                    gettext("本番環境でテスト用 PKI のルート証明書が信頼されています。"),
                    hint=gettext(
                        "manage.py trust remove %(fingerprint)s でこのトラストアンカーの削除を申請してください。"
                    )
                    % {"fingerprint": anchor.fingerprint_sha256},
                    id="delegations.E001",
                )
            )
        elif anchor.purpose == TrustAnchor.Purpose.SIGNING and not anchor.matches_jlis:  # J-LIS publishes CAs only
            messages.append(
                Warning(
                    gettext("トラストアンカーが J-LIS の公開しているどの指紋とも一致しません。"),
                    hint=gettext(
                        "%(fingerprint)s を J-LIS の公開する指紋と照らし合わせてください。"
                        "J-LIS の CA であれば、その指紋を JLIS_SIGN_CA_FINGERPRINTS に加えてください。"
                    )
                    % {"fingerprint": anchor.fingerprint_sha256},
                    id="delegations.W001",
                )
            )
    return messages


@register()
def revocation_source_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    source = settings.SIGNATURE_REVOCATION_SOURCE
    if source not in ("crl", "ocsp", "provider"):
        return [
            Error(
                gettext(
                    "SIGNATURE_REVOCATION_SOURCE は crl、ocsp、provider のいずれかにしてください（現在は %(value)s）。"
                )
                % {"value": repr(source)},
                id="delegations.E002",
            )
        ]
    if source == "ocsp" and not settings.SIGNATURE_OCSP_URL:
        return [
            Error(
                gettext("SIGNATURE_REVOCATION_SOURCE が ocsp ですが、SIGNATURE_OCSP_URL が空です。"),
                hint=gettext("SIGNATURE_OCSP_URL に OCSP レスポンダの URL を設定してください。"),
                id="delegations.E002",
            )
        ]
    if source == "provider" and not (settings.SIGNATURE_PROVIDER_URL and settings.SIGNATURE_PROVIDER_TOKEN):
        return [
            Error(
                gettext(
                    "SIGNATURE_REVOCATION_SOURCE が provider ですが、SIGNATURE_PROVIDER_URL か "
                    "SIGNATURE_PROVIDER_TOKEN が空です。"
                ),
                hint=gettext(
                    "プラットフォーム事業者の API の URL（SIGNATURE_PROVIDER_URL）とトークン"
                    "（SIGNATURE_PROVIDER_TOKEN）を、両方とも設定してください。"
                ),
                id="delegations.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def test_cards_off_in_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Signing with a test card (test PKI keys held by the server) exists only in the demo and tests."""
    if settings.PRODUCTION and settings.DEMO_MODE:
        return [
            Error(
                gettext("本番環境で DEMO_MODE が有効なため、テストカードでの署名が使えるようになっています。"),
                hint=gettext(
                    "DEMO_MODE=false にしてください。テストカードでの署名は、本番環境では決して使えてはなりません。"
                ),
                id="delegations.E003",
            )
        ]
    return []


@register()
def idle_draft_notice_lead(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """An idle draft is deleted no earlier than this many days after its subscriber is told
    (delegations/retention.py): 0 would tell and delete on the same day."""
    days = settings.DELEGATION_IDLE_DRAFT_NOTICE_DAYS
    if days >= 1:
        return []
    return [
        Error(
            gettext("DELEGATION_IDLE_DRAFT_NOTICE_DAYS は 1 以上にしてください（現在は %(days)s）。") % {"days": days},
            hint=gettext("0 では、下書きを削除するその日にお知らせすることになります（既定値は 14）。"),
            id="delegations.E004",
        )
    ]
