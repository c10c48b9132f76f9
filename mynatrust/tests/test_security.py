from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from audit.testing import checkpoint_key_file
from validity.testing import signing_key_file

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_security_headers_are_on_every_page(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", csp)
    assert nonce and f'nonce="{nonce.group(1)}"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]


def test_a_response_that_uses_no_nonce_gets_the_policy_built_once_and_identical(client, settings):
    from django.utils.csp import build_policy

    from mynatrust import middleware

    first = client.get("/healthz")["Content-Security-Policy"]
    assert "nonce" not in first and first == build_policy(settings.SECURE_CSP)
    assert client.get("/healthz")["Content-Security-Policy"] is first  # the same string, not rebuilt
    page = client.get("/")["Content-Security-Policy"]  # a page that used its nonce gets a fresh one
    assert "'nonce-" in page and page != client.get("/")["Content-Security-Policy"]
    settings.SECURE_CSP = {**settings.SECURE_CSP, "img-src": ["'self'"]}  # a changed policy is rebuilt
    changed = client.get("/healthz")["Content-Security-Policy"]
    assert "img-src 'self';" in changed and "data:" not in changed
    settings.SECURE_CSP["img-src"].append("data:")  # even when changed in place
    assert "img-src 'self' data:" in client.get("/healthz")["Content-Security-Policy"]
    assert middleware.ContentSecurityPolicyMiddleware.__module__ == "mynatrust.middleware"


def test_the_admin_pages_carry_the_strict_policy_too(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_an_unknown_url_gets_the_japanese_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "ページが見つかりません" in body and body.count("<h1") == 1


def test_a_csrf_failure_gets_a_translated_403_and_changes_nothing():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(reverse("registry:signup"), {"email": "x@example.jp"})
    assert response.status_code == 403
    assert "セキュリティ確認に失敗しました" in response.content.decode()
    from mynatrust.models import User

    assert not User.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read(client, settings):
    settings.MAX_UPLOAD_SIZE = 1024
    response = client.post(reverse("registry:signup"), {"email": "x" * 5000}, follow=False)
    assert response.status_code == 413
    assert "送信サイズが大きすぎます" in response.content.decode()


def test_a_wrong_method_gets_the_translated_405_page(client):
    response = client.delete(reverse("registry:signup"))
    assert response.status_code == 405
    assert "この操作はできません" in response.content.decode()
    assert "GET" in response["Allow"]


def test_malformed_form_input_is_a_form_error_not_a_500(client):
    response = client.post(
        reverse("registry:signup"),
        {"email": "not-an-address\x00", "display_name": "x" * 10000, "password1": "a", "password2": "b"},
    )
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()


def test_too_many_fields_is_a_400_page(client):
    data = {f"f{i}": "x" for i in range(1000)}
    response = client.post(reverse("registry:signup"), data)
    assert response.status_code == 400
    assert "リクエストが正しくありません" in response.content.decode()


def test_english_is_available_through_the_language_switch(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get("/")
    assert '<html lang="en">' in response.content.decode()


def _manage(*args: str, cwd: Path | str = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "MYNATRUST_", "SECRET", "ALLOWED", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {
    "MYNATRUST_PRODUCTION": "true",
    "SECRET_KEY": "x" * 64 + "-production-test-key-9f8e7d6c5b4a",
    "ALLOWED_HOSTS": "eloa.example.jp",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
    "SERVICE_BASE_URL": "https://eloa.example.jp",
    "AUDIT_CHECKPOINT_KEY_PATH": checkpoint_key_file(),
    "VALIDITY_SIGNING_KEY_FILE": signing_key_file(),
}


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "システムチェックで問題は見つかりませんでした（抑制 0 件）。" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("unsafe", "check_id"),
    [
        ({"SERVICE_BASE_URL": "http://127.0.0.1:8000"}, "mynatrust.E010"),
        ({"SERVICE_BASE_URL": "https://localhost"}, "mynatrust.E010"),
        ({"SERVICE_BASE_URL": "http://eloa.example.jp"}, "mynatrust.E010"),
        ({"SERVICE_POLICY_URL": "http://127.0.0.1:8000/repository/"}, "mynatrust.E010"),
        ({"ALLOWED_HOSTS": "*"}, "mynatrust.E011"),
        ({"SERVICE_BASE_URL": "https://other.example.jp"}, "mynatrust.E012"),
        ({"CACHE_URL": "locmemcache://"}, "mynatrust.E013"),
        ({"CACHE_URL": "filecache:///tmp/mynatrust-cache"}, "mynatrust.E013"),
        ({"TRUSTED_PROXY_COUNT": "0"}, "mynatrust.E015"),
        ({"TRUSTED_PROXY_COUNT": "9"}, "mynatrust.E014"),
    ],
)
def test_check_deploy_fails_for_each_unsafe_production_setting(unsafe, check_id):
    result = _manage("check", "--deploy", **{**PRODUCTION_ENV, **unsafe})
    assert result.returncode != 0
    assert check_id in result.stderr + result.stdout


def test_check_deploy_fails_with_its_frame_in_japanese():
    """The operator reads the whole of it in Japanese: the checks' messages and Django's frame
    around them (the English is in the catalogue)."""
    result = _manage("check", "--deploy", **{**PRODUCTION_ENV, "SERVICE_BASE_URL": "http://eloa.example.jp"})
    assert result.returncode == 1, result.stdout + result.stderr
    said = result.stderr
    assert "システムチェックでエラーになりました。次の問題があります：\n\nエラー：\n" in said, said
    assert "?: (mynatrust.E010) SERVICE_BASE_URL がサービスの公開 https アドレスではありません" in said
    assert "\n\tヒント：SERVICE_BASE_URL に、サービスを公開している https の URL を指定してください" in said
    assert re.search(r"\n\nシステムチェックで \d+ 件の問題が見つかりました（抑制 0 件）。\n$", said), said
    assert not [word for word in ("SystemCheckError", "System check", "ERRORS", "HINT", "silenced") if word in said]


# Every check of Django or of a third-party app that the production settings can raise, each by the
# unsafe value of an environment variable of the service (.env.example): its ID, the values that
# raise it ({tmp} is a fresh directory, the command's working directory too), and the variable its
# Japanese text names. An ID here without Japanese in kernel/check_texts.py fails.
DJANGO_CHECKS = [
    ("security.W004", {"SECURE_HSTS_SECONDS": "0"}, "SECURE_HSTS_SECONDS"),
    ("security.W008", {"SECURE_SSL_REDIRECT": "false"}, "SECURE_SSL_REDIRECT"),
    ("security.W009", {"SECRET_KEY": "short"}, "SECRET_KEY"),
    ("security.W009", {"SECRET_KEY": "django-insecure-" + "a1b2c3d4e5" * 5}, "SECRET_KEY"),
    ("security.W018", {"DEBUG": "true"}, "DEBUG"),
    ("security.W020", {"ALLOWED_HOSTS": ","}, "ALLOWED_HOSTS"),
    ("security.W021", {"SECURE_HSTS_PRELOAD": "false"}, "SECURE_HSTS_PRELOAD"),
    ("4_0.E001", {"CSRF_TRUSTED_ORIGINS": "eloa.example.jp"}, "CSRF_TRUSTED_ORIGINS"),
    ("caches.W002", {"CACHE_URL": "filecache://{tmp}/static/cache", "STATIC_ROOT": "{tmp}/static"}, "CACHE_URL"),
    ("caches.W003", {"CACHE_URL": "filecache://relative/cache"}, "CACHE_URL"),
    ("staticfiles.E002", {"STATIC_ROOT": str(ROOT / "static")}, "STATIC_ROOT"),
    ("async.E001", {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}, "DJANGO_ALLOW_ASYNC_UNSAFE"),
    ("otp_webauthn.E010", {"WEBAUTHN_RP_ID": ""}, "WEBAUTHN_RP_ID"),
    ("otp_webauthn.E011", {"WEBAUTHN_RP_NAME": ""}, "WEBAUTHN_RP_NAME"),
    ("otp_webauthn.E030", {"WEBAUTHN_ORIGINS": ""}, "WEBAUTHN_ORIGINS"),
    ("otp_webauthn.E031", {"WEBAUTHN_ORIGINS": "http://eloa.example.jp"}, "WEBAUTHN_ORIGINS"),
]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+ [a-z]+")


def test_every_django_check_production_settings_can_raise_has_japanese():
    from kernel import check_texts

    assert [check_id for check_id, _unsafe, _name in DJANGO_CHECKS if check_id not in check_texts.TEXTS] == []


@pytest.mark.parametrize(("check_id", "unsafe", "name"), DJANGO_CHECKS)
def test_check_deploy_says_djangos_checks_in_japanese(check_id, unsafe, name, tmp_path):
    """What is wrong and the variable that puts it right, in Japanese, for Django's checks too."""
    unsafe = {key: value.replace("{tmp}", str(tmp_path)) for key, value in unsafe.items()}
    result = _manage("check", "--deploy", cwd=tmp_path, **{**PRODUCTION_ENV, **unsafe})
    said = result.stderr
    found = re.search(rf"^\?: \({re.escape(check_id)}\) (.*)\n\tヒント：(.*)$", said, re.M)
    assert found, said
    message, hint = found.groups()
    assert JAPANESE.search(message) and not ENGLISH_SENTENCE.search(message), message
    assert JAPANESE.search(hint) and name in hint, hint
    assert "Traceback" not in said


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", **env)
    assert result.returncode != 0
    # A sentence an operator can act on, in Japanese, instead of a traceback from the settings.
    assert f"本番環境（MYNATRUST_PRODUCTION=true）では環境変数 {missing} が必要です" in result.stderr
    assert "Traceback" not in result.stderr


def test_japanese_is_the_default_whatever_the_browser_asks(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="ja">' in response.content.decode()
