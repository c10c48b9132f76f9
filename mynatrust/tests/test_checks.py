"""The project's system checks (mynatrust.E0xx, E1xx, W1xx) speak Japanese to the operator, English
through the catalogue."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import checks as django_checks
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from django.utils import translation

from conftest import assert_check_said
from mynatrust import checks
from mynatrust.operations import checks as operations_checks
from validity import checks as validity_checks

# (settings, the check, check ID, message and hint in Japanese, in English)
CHECKS: list[tuple[dict[str, Any], Callable[..., Any], str, tuple[str, str | None], tuple[str, str | None]]] = [
    (
        {"PRODUCTION": True, "DEMO_MODE": True},
        checks.production_safeguards,
        "mynatrust.E001",
        (
            "本番環境で DEMO_MODE が有効です。",
            "DEMO_MODE=false にしてください（デモの機能は本番環境では使えてはなりません）。",
        ),
        (
            "DEMO_MODE is on in production.",
            "Set DEMO_MODE=false (the demo's features must never be reachable in production).",
        ),
    ),
    (
        {"PRODUCTION": True, "SERVICE_BASE_URL": "https://eloa.example.jp", "ALLOWED_HOSTS": ["other.example.jp"]},
        checks.production_addresses_and_shared_state,
        "mynatrust.E012",
        (
            "SERVICE_BASE_URL のホスト（eloa.example.jp）が ALLOWED_HOSTS にありません。",
            "ALLOWED_HOSTS に eloa.example.jp を加えるか、SERVICE_BASE_URL を直してください。",
        ),
        (
            "The host of SERVICE_BASE_URL (eloa.example.jp) is not in ALLOWED_HOSTS.",
            "Add eloa.example.jp to ALLOWED_HOSTS, or correct SERVICE_BASE_URL.",
        ),
    ),
    (
        {"MAIL_RATE_PER_CLIENT": "thirty an hour"},
        checks.mail_rates,
        "mynatrust.E016",
        ("MAIL_RATE_PER_CLIENT は「回数/秒数」の形で指定してください（例：600/60）。", None),
        ("MAIL_RATE_PER_CLIENT must be count/seconds (e.g. 600/60).", None),
    ),
    (
        {"MAIL_AT_ONCE_TIMEOUT": 0.0},
        checks.mail_at_once_timeout,
        "mynatrust.E017",
        ("MAIL_AT_ONCE_TIMEOUT は 0 より大きい秒数にしてください（例：3）。", None),
        ("MAIL_AT_ONCE_TIMEOUT must be a number of seconds above 0 (e.g. 3).", None),
    ),
    (
        {"MAIL_UNREACHABLE_PAUSE": 0},
        checks.mail_unreachable_pause,
        "mynatrust.E018",
        ("MAIL_UNREACHABLE_PAUSE は 1 以上の整数の秒数にしてください（例：60）。", None),
        ("MAIL_UNREACHABLE_PAUSE must be a whole number of seconds, 1 or more (e.g. 60).", None),
    ),
    (
        {"RETENTION_PERIODS": {"operations.entry_exit": "three years"}},
        operations_checks.retention_periods,
        "mynatrust.E101",
        (
            "RETENTION_PERIODS['operations.entry_exit'] = 'three years' は期間として読めません。",
            "数字の後に y、m、d のどれかを付けてください（例：10y、6m、30d）。",
        ),
        (
            "RETENTION_PERIODS['operations.entry_exit'] = 'three years' is not a period.",
            "Use a number followed by y, m or d (e.g. 10y, 6m, 30d).",
        ),
    ),
    (
        {"RETENTION_PERIODS": {"mail.outbox": "0d"}, "VALIDITY_END_NOTICE_RATE": "20/3600"},
        validity_checks.end_notice_count_kept,
        "validity.E003",
        (
            "RETENTION_PERIODS['mail.outbox'] = '0d' は VALIDITY_END_NOTICE_RATE の期間（3600 秒）より短く、"
            "終了のお知らせの上限を数えるメールを先に削除してしまいます。",
            "mail.outbox の保存期間を VALIDITY_END_NOTICE_RATE の秒数以上にしてください（既定は 90d）。",
        ),
        (
            "RETENTION_PERIODS['mail.outbox'] = '0d' is shorter than the window of VALIDITY_END_NOTICE_RATE "
            "(3600 seconds), so it would delete mails that the limit of end notices still counts.",
            "Keep mail.outbox at least as long as the seconds of VALIDITY_END_NOTICE_RATE (the default is 90d).",
        ),
    ),
    (
        {"METRICS_TOKEN": "short"},
        operations_checks.metrics_token,
        "mynatrust.W101",
        (
            "METRICS_TOKEN が推測できるほど短いです。",
            "METRICS_TOKEN は 24 文字以上のランダムな文字列にするか、空にしてください"
            "（空のときは、保守員としてサインインした人だけが /metrics を読めます）。",
        ),
        (
            "METRICS_TOKEN is short enough to guess.",
            "Use at least 24 random characters for METRICS_TOKEN, or leave it empty "
            "(then only someone signed in as Maintenance can read /metrics).",
        ),
    ),
]


@pytest.mark.parametrize(("values", "check", "check_id", "japanese", "english"), CHECKS, ids=[c[2] for c in CHECKS])
def test_a_check_is_said_in_japanese_and_in_english_through_the_catalogue(
    values, check, check_id, japanese, english, settings
):
    assert_check_said(settings, values, check, check_id, japanese, english)


@pytest.mark.parametrize("pause", [0, -30, 1.5, True])
def test_the_unreachable_pause_must_be_whole_seconds_above_zero(settings: Any, pause: Any) -> None:
    """A pause of 0 or less would never mark the mail server unreachable (or mark it for ever); a
    fraction of a second is not what the shared cache keeps."""
    settings.MAIL_UNREACHABLE_PAUSE = pause
    assert [error.id for error in checks.mail_unreachable_pause(None)] == ["mynatrust.E018"]


@pytest.mark.parametrize("pause", [1, 60, 600])
def test_a_whole_pause_above_zero_passes(settings: Any, pause: int) -> None:
    settings.MAIL_UNREACHABLE_PAUSE = pause
    assert checks.mail_unreachable_pause(None) == []


def test_a_malformed_rate_reads_the_same_in_every_app(settings: Any) -> None:
    """mynatrust.E016 and validity.E002 say one thing one way."""
    settings.MAIL_RATE_PER_CLIENT = settings.VALIDITY_RATE_PER_IP = "lots"
    for language in ("ja", "en"):
        with translation.override(language):
            [mail] = checks.mail_rates(None)
            [validity] = validity_checks.rates(None)
        assert mail.msg.replace("MAIL_RATE_PER_CLIENT", "…") == validity.msg.replace("VALIDITY_RATE_PER_IP", "…")


# ``manage.py check`` and every project command that runs the checks frame the issues as Django's
# BaseCommand.check does, in the reader's language: Japanese by default, Django's English under the
# English catalogue.
FRAME = {
    "システムチェックでエラーになりました。次の問題があります：": "SystemCheckError: System check identified some issues:",
    "システムチェックで次の問題が見つかりました：": "System check identified some issues:",
    "重大なエラー：": "CRITICALS:",
    "エラー：": "ERRORS:",
    "警告：": "WARNINGS:",
    "情報：": "INFOS:",
    "デバッグ：": "DEBUGS:",
}
ENGLISH_FRAME = ("SystemCheckError", "System check", "ERRORS:", "WARNINGS:", "HINT:", "silenced")


def _in_djangos_words(said: str) -> str:
    """The Japanese frame put back into Django's English words, line by line."""
    lines = []
    for line in said.split("\n"):
        line = FRAME.get(line, line)
        line = re.sub(r"^\tヒント：", "\tHINT: ", line)
        line = re.sub(
            r"^システムチェックで問題は見つかりませんでした（抑制 (\d+) 件）。$",
            r"System check identified no issues (\1 silenced).",
            line,
        )
        line = re.sub(
            r"^システムチェックで (\d+) 件の問題が見つかりました（抑制 (\d+) 件）。$",
            lambda m: f"System check identified {m[1]} issue{'' if m[1] == '1' else 's'} ({m[2]} silenced).",
            line,
        )
        lines.append(line)
    return "\n".join(lines)


def _shape(said: str) -> str:
    """The report with each issue reduced to its object and ID, its words and hint left out."""
    lines = [re.sub(r"^(.*?\([\w.]+\)) .*$", r"\1", line) for line in said.split("\n") if not line.startswith("\t")]
    return "\n".join(lines)


def _djangos_check(**options: Any) -> str:
    """What Django's own BaseCommand.check says of the same checks."""
    with pytest.raises(SystemCheckError) as said:
        BaseCommand().check(display_num_errors=True, **options)
    return str(said.value)


@pytest.mark.django_db
def test_check_fails_with_the_same_issues_in_a_japanese_frame(settings: Any) -> None:
    settings.PRODUCTION = settings.DEMO_MODE = True
    with pytest.raises(SystemCheckError) as said:
        call_command("check", "--deploy")
    ours = str(said.value)
    assert ours.startswith("システムチェックでエラーになりました。次の問題があります：\n\nエラー：\n")
    assert "?: (mynatrust.E001) 本番環境で DEMO_MODE が有効です。\n\tヒント：DEMO_MODE=false にしてください" in ours
    assert re.search(r"\n\nシステムチェックで \d+ 件の問題が見つかりました（抑制 0 件）。$", ours)
    assert not [word for word in ENGLISH_FRAME if word in ours]
    # The same issues in the same groups and order; Django's own checks in Japanese too.
    assert _shape(_in_djangos_words(ours)) == _shape(_djangos_check(include_deployment_checks=True))
    assert "?: (security.W008) SECURE_SSL_REDIRECT が" in ours


@pytest.mark.django_db
def test_check_says_djangos_english_frame_under_the_english_catalogue(settings: Any) -> None:
    settings.PRODUCTION = settings.DEMO_MODE = True
    with translation.override("en"), pytest.raises(SystemCheckError) as said:
        call_command("check", "--deploy")
    ours = str(said.value)
    assert ours.startswith("SystemCheckError: System check identified some issues:\n\nERRORS:\n")
    assert "?: (mynatrust.E001) DEMO_MODE is on in production.\n\tHINT: Set DEMO_MODE=false" in ours
    with translation.override("en"):
        assert ours == _djangos_check(include_deployment_checks=True)


@pytest.mark.django_db
def test_warnings_pass_unless_the_fail_level_says_otherwise(settings: Any) -> None:
    """--deploy, --tag and --fail-level as Django has them: the development settings only warn."""
    out, err = StringIO(), StringIO()
    call_command("check", "--deploy", "--tag", "security", stdout=out, stderr=err)
    said = err.getvalue()
    assert out.getvalue() == ""
    assert said.startswith("システムチェックで次の問題が見つかりました：\n\n警告：\n?: (security.W")
    assert re.search(r"\n\nシステムチェックで \d+ 件の問題が見つかりました（抑制 0 件）。\n$", said)
    with pytest.raises(SystemCheckError) as failed:
        call_command("check", "--deploy", "--tag", "security", "--fail-level", "WARNING")
    assert str(failed.value).startswith("システムチェックでエラーになりました。次の問題があります：\n\n警告：\n")


def test_a_clean_check_says_so_in_japanese(settings: Any) -> None:
    out = StringIO()
    call_command("check", "--tag", "compatibility", stdout=out)
    assert out.getvalue() == "システムチェックで問題は見つかりませんでした（抑制 0 件）。\n"
    with translation.override("en"):
        call_command("check", "--tag", "compatibility", stdout=out)
    assert out.getvalue().endswith("\nSystem check identified no issues (0 silenced).\n")


@pytest.mark.parametrize(
    ("asked", "said"),
    [
        ("en", "System check identified no issues (0 silenced).\n"),
        ("en_GB", "System check identified no issues (0 silenced).\n"),
        ("ja", "システムチェックで問題は見つかりませんでした（抑制 0 件）。\n"),
        ("fr", "システムチェックで問題は見つかりませんでした（抑制 0 件）。\n"),  # not one of LANGUAGES
    ],
)
def test_a_project_command_speaks_the_language_mynatrust_language_names(
    monkeypatch: pytest.MonkeyPatch, asked: str, said: str
) -> None:
    """As deploy/bootstrap.py does: the demo's commands speak English after MYNATRUST_LANGUAGE=en."""
    monkeypatch.setenv("MYNATRUST_LANGUAGE", asked)
    out = StringIO()
    call_command("check", "--tag", "compatibility", stdout=out)
    assert out.getvalue() == said
    assert translation.get_language() == "ja"  # the command's language ends with the command


def test_an_unknown_tag_is_refused_in_japanese() -> None:
    with pytest.raises(CommandError, match="「no_such_tag」というタグのシステムチェックはありません。"):
        call_command("check", "--tag", "no_such_tag")


@pytest.mark.django_db
def test_a_project_command_that_runs_the_checks_frames_them_in_japanese_too(settings: Any) -> None:
    """Every command of the project shares the frame (kernel.commands.Command)."""
    settings.MAIL_RATE_PER_CLIENT = "thirty an hour"
    with pytest.raises(SystemCheckError) as said:
        call_command("audit_seal", "--dry-run", skip_checks=False)
    assert str(said.value).startswith("システムチェックでエラーになりました。次の問題があります：\n\nエラー：\n")
    assert "(mynatrust.E016)" in str(said.value)


# Django's own checks (and those of the third-party apps) speak English it does not mark for
# translation: kernel/check_texts.py says them in Japanese, keyed by their ID, and leaves them as
# Django wrote them under any other language.
@pytest.fixture
def unsafe_settings(settings: Any) -> Any:
    """Two of Django's deployment warnings: a short SECRET_KEY (security.W009), DEBUG (security.W018)."""
    settings.SECRET_KEY = "short"
    settings.DEBUG = True
    return settings


def _security_report() -> str:
    err = StringIO()
    call_command("check", "--deploy", "--tag", "security", stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_djangos_checks_are_said_in_japanese(unsafe_settings: Any) -> None:
    from django.core.checks.security import base

    said = _security_report()
    assert "?: (security.W009) SECRET_KEY が短いか、" in said
    assert "\tヒント：環境変数 SECRET_KEY に" in said
    assert "?: (security.W018) 本番環境で DEBUG が有効です" in said
    assert "\tヒント：環境変数 DEBUG=false にしてください" in said
    assert base.W009.msg not in said and base.W018.msg not in said


def test_djangos_checks_keep_djangos_words_in_english(unsafe_settings: Any) -> None:
    from django.core.checks.security import base

    with translation.override("en"):
        said = _security_report()
    assert f"?: (security.W009) {base.W009.msg}\n" in said
    assert f"?: (security.W018) {base.W018.msg}\n" in said
    assert "HINT" not in said  # Django gives these two no hint, and the Japanese hints stay Japanese


def test_every_security_check_of_django_has_japanese() -> None:
    """Django's security, CSRF and session checks (django/core/checks/security/), each by its ID: a
    new one in a Django release fails here until it has its Japanese."""
    from django.core.checks import security

    from kernel import check_texts

    folder = Path(security.__file__).parent
    ids = {found for path in folder.glob("*.py") for found in re.findall(r'id="(security\.[EW]\d+)"', path.read_text())}
    assert len(ids) > 20
    assert sorted(ids - set(check_texts.TEXTS)) == []


def test_a_check_without_japanese_still_prints_in_its_own_words() -> None:
    """An ID kernel/check_texts.py does not know is printed as its check says it."""

    def example(app_configs: Any, **kwargs: Any) -> list[Any]:
        return [django_checks.Warning("An example check says this.", hint="Nothing to do.", id="example.W001")]

    django_checks.register(example, "example_tag")
    try:
        err = StringIO()
        call_command("check", "--tag", "example_tag", stdout=StringIO(), stderr=err)
    finally:
        django_checks.registry.registry.registered_checks.discard(example)
    assert "?: (example.W001) An example check says this.\n\tヒント：Nothing to do.\n" in err.getvalue()
