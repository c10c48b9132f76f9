"""Django's system checks, and those of the third-party apps the service uses, said in Japanese.

Django marks none of its check messages for translation ("Your SECRET_KEY has less than 50
characters, …"), nor do django-otp-webauthn and the others. Here each such check has, under its ID,
a Japanese text an operator can act on: what is wrong, and which environment variable of the service
(``.env.example``) puts it right, or, for what no variable changes, which setting of
``mynatrust/settings.py``. :func:`in_readers_language` gives an issue its Japanese text when the
active language is Japanese; under any other language the issue is left as its check wrote it,
Django's own words. An ID without a text here is printed as its check says it.

Every ID that the production settings can raise (``mynatrust/tests/test_security.py``,
``DJANGO_CHECKS``) and every one of Django's security checks (``django/core/checks/security/``)
must have its text; the tests fail on one without. A text whose check writes a value into its
message (an origin, a setting's name) gives a pattern for Django's message: the value is taken from
it, and a message the pattern does not fit (another Django release) stays as Django wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.checks import CheckMessage
from django.utils import translation


@dataclass(frozen=True)
class Text:
    """An issue's message and hint in Japanese. ``pattern`` (a regular expression matched against
    the whole of the check's own message) names the values the Japanese writes as ``%(name)s``."""

    message: str
    hint: str
    pattern: str = ""

    def said(self, issue: CheckMessage) -> tuple[str, str] | None:
        """The message and the hint for ``issue``, or None when its message does not fit."""
        found = re.fullmatch(self.pattern, str(issue.msg), re.DOTALL) if self.pattern else None
        if self.pattern and not found:
            return None
        values = {name: WORDS.get(value, value) for name, value in (found.groupdict() if found else {}).items()}
        return self.message % values, self.hint % values


# Words Django writes into a message, in Japanese (caches.W002).
WORDS = {"matches": "と同じ場所です", "is inside": "の中にあります", "contains": "を中に含んでいます"}

PRODUCTION_ONLY = "本番環境（MYNATRUST_PRODUCTION=true）では"
FIXED = (
    "環境変数では変わりません。mynatrust/settings.py の %s を変えた覚えがあれば元に戻してください"
    "（各設定の理由はそこに書いてあります）。"
)
SESSION_SECURE = Text(
    "セッションの Cookie が https だけで送られる設定（SESSION_COOKIE_SECURE）になっていません。"
    "http の通信を盗み見た者にセッションを奪われるおそれがあります。",
    PRODUCTION_ONLY + "自動で有効になります。MYNATRUST_PRODUCTION=true にしてください。",
)
SESSION_HTTPONLY = Text(
    "セッションの Cookie がスクリプトから読める設定です（SESSION_COOKIE_HTTPONLY が有効ではありません）。"
    "クロスサイトスクリプティングでセッションを奪われるおそれがあります。",
    FIXED % "SESSION_COOKIE_HTTPONLY",
)
STRONG_KEY = "50 文字以上で、異なる文字を 5 種類以上含み、「django-insecure-」で始まらない"

TEXTS: dict[str, tuple[Text, ...]] = {
    # django/core/checks/security/base.py
    "security.W001": (
        Text(
            "MIDDLEWARE に SecurityMiddleware がないため、HSTS、https への転送、nosniff、Referrer-Policy、"
            "Cross-Origin-Opener-Policy の設定が効きません。",
            FIXED % "MIDDLEWARE",
        ),
    ),
    "security.W002": (
        Text(
            "MIDDLEWARE に XFrameOptionsMiddleware がないため、画面に X-Frame-Options ヘッダーが付かず、"
            "ほかのサイトの枠の中に表示させるクリックジャッキングを防げません。",
            FIXED % "MIDDLEWARE",
        ),
    ),
    "security.W004": (
        Text(
            "HSTS（ブラウザーに常に https で接続させる指示）が送られません（SECURE_HSTS_SECONDS が 0 か未設定です）。",
            "環境変数 SECURE_HSTS_SECONDS に 0 より大きい秒数を指定してください（既定は 31536000、1 年）。"
            + PRODUCTION_ONLY
            + "既定で有効です。一度送った期間中はブラウザーが http に戻れないため、"
            "すべてのページを https で出せることを確かめてから設定してください。",
        ),
    ),
    "security.W005": (
        Text(
            "HSTS がサブドメインに及んでいません（SECURE_HSTS_INCLUDE_SUBDOMAINS が有効ではありません）。"
            "サブドメインへの http 接続から攻撃されるおそれがあります。",
            PRODUCTION_ONLY + "自動で有効になります。MYNATRUST_PRODUCTION=true にしてください。",
        ),
    ),
    "security.W006": (
        Text(
            "SECURE_CONTENT_TYPE_NOSNIFF が有効でないため、X-Content-Type-Options: nosniff ヘッダーが付かず、"
            "ブラウザーがファイルの種類を取り違えるおそれがあります。",
            FIXED % "SECURE_CONTENT_TYPE_NOSNIFF",
        ),
    ),
    "security.W008": (
        Text(
            "SECURE_SSL_REDIRECT が無効です。http で来た要求が https に転送されません。",
            "環境変数 SECURE_SSL_REDIRECT=true にしてください（本番環境の既定）。"
            "前段のロードバランサーやリバースプロキシーがすべての http を https に転送していても、"
            "true のままにしてください。",
        ),
    ),
    "security.W009": (
        Text(
            "SECRET_KEY が短いか、使っている文字の種類が少ないか、Django が自動で作った鍵（django-insecure- で始まる）です。"
            "セッション、CSRF、パスワード再設定や登録確認のリンクを偽造されるおそれがあります。",
            "環境変数 SECRET_KEY に、" + STRONG_KEY + "ランダムな文字列を設定してください"
            "（例：python -c 'import secrets; print(secrets.token_urlsafe(64))' の出力）。"
            "変えるとサインイン中の人はサインインし直しになり、送信済みのメールのリンクは使えなくなります"
            "（docs/runbook.md の秘密情報の表）。",
        ),
    ),
    "security.W018": (
        Text(
            "本番環境で DEBUG が有効です。エラーのときに設定値やソースコードが画面に表示されます。",
            "環境変数 DEBUG=false にしてください（既定）。",
        ),
    ),
    "security.W019": (
        Text(
            "X_FRAME_OPTIONS が DENY ではありません。サービスの画面をほかのサイトの枠の中に表示させられます。",
            FIXED % "X_FRAME_OPTIONS",
        ),
    ),
    "security.W020": (
        Text(
            "ALLOWED_HOSTS が空です。本番環境ではどのホスト名への要求にも応えられません。",
            "環境変数 ALLOWED_HOSTS に、サービスが応えるホスト名をカンマ区切りで指定してください"
            "（SERVICE_BASE_URL のホスト名を含めてください。例：eloa.example.jp）。",
        ),
    ),
    "security.W021": (
        Text(
            "SECURE_HSTS_PRELOAD が無効です。ブラウザーの HSTS プリロードリストに登録を申請できません。",
            "環境変数 SECURE_HSTS_PRELOAD=true にしてください（本番環境の既定）。",
        ),
    ),
    "security.W022": (
        Text(
            "SECURE_REFERRER_POLICY が設定されていないため、Referrer-Policy ヘッダーが付きません。"
            "利用者の閲覧先がほかのサイトに伝わるおそれがあります。",
            FIXED % "SECURE_REFERRER_POLICY",
        ),
    ),
    "security.E023": (Text("SECURE_REFERRER_POLICY の値が正しくありません。", FIXED % "SECURE_REFERRER_POLICY"),),
    "security.E024": (
        Text(
            "SECURE_CROSS_ORIGIN_OPENER_POLICY の値が正しくありません。",
            FIXED % "SECURE_CROSS_ORIGIN_OPENER_POLICY",
        ),
    ),
    "security.W025": (
        Text(
            "%(setting)s の鍵が短いか、使っている文字の種類が少ないか、Django が自動で作った鍵です。",
            "以前の鍵（SECRET_KEY_FALLBACKS）にも、"
            + STRONG_KEY
            + "鍵だけを残してください。"
            + FIXED % "SECRET_KEY_FALLBACKS",
            r"Your (?P<setting>SECRET_KEY_FALLBACKS\[\d+\]) has less than .*",
        ),
    ),
    "security.E026": (
        Text(
            "コンテンツセキュリティポリシーの設定 %(setting)s が辞書ではありません（値は %(value)s）。",
            FIXED % "SECURE_CSP",
            r"The Content Security Policy setting '(?P<setting>[^']*)' must be a dictionary "
            r"\(got (?P<value>.*) instead\)\.",
        ),
    ),
    "security.W027": (
        Text(
            "コンテンツセキュリティポリシーに nonce がありますが、テンプレートの context_processors に "
            "django.template.context_processors.csp がないため、画面のスクリプトに nonce が付かず保護が働きません。",
            FIXED % "TEMPLATES",
        ),
    ),
    # django/core/checks/security/csrf.py
    "security.W003": (
        Text(
            "MIDDLEWARE に CsrfViewMiddleware がないため、クロスサイトリクエストフォージェリ（CSRF）を防げません。",
            FIXED % "MIDDLEWARE",
        ),
    ),
    "security.W016": (
        Text(
            "CSRF の Cookie が https だけで送られる設定（CSRF_COOKIE_SECURE）になっていません。"
            "http の通信を盗み見た者に CSRF のトークンを盗まれるおそれがあります。",
            PRODUCTION_ONLY + "自動で有効になります。MYNATRUST_PRODUCTION=true にしてください。",
        ),
    ),
    "security.E101": (
        Text(
            "CSRF_FAILURE_VIEW の画面「%(view)s」の引数の数が正しくありません。",
            FIXED % "CSRF_FAILURE_VIEW",
            r"The CSRF failure view '(?P<view>[^']*)' does not take the correct number of arguments\.",
        ),
    ),
    "security.E102": (
        Text(
            "CSRF_FAILURE_VIEW の画面「%(view)s」を読み込めません。",
            FIXED % "CSRF_FAILURE_VIEW",
            r"The CSRF failure view '(?P<view>[^']*)' could not be imported\.",
        ),
    ),
    # django/core/checks/security/sessions.py
    "security.W010": (SESSION_SECURE,),
    "security.W011": (SESSION_SECURE,),
    "security.W012": (SESSION_SECURE,),
    "security.W013": (SESSION_HTTPONLY,),
    "security.W014": (SESSION_HTTPONLY,),
    "security.W015": (SESSION_HTTPONLY,),
    # Django's other checks that the environment variables of production can raise.
    "4_0.E001": (
        Text(
            "CSRF_TRUSTED_ORIGINS の「%(origin)s」に https:// などのスキームがありません。",
            "環境変数 CSRF_TRUSTED_ORIGINS には、オリジンをスキームから書いてカンマ区切りで指定してください"
            "（例：https://eloa.example.jp）。",
            r"As of Django 4\.0, the values in the CSRF_TRUSTED_ORIGINS setting must start with a scheme "
            r"\(usually http:// or https://\) but found (?P<origin>.*)\. See the release notes for details\.",
        ),
    ),
    "caches.W002": (
        Text(
            "キャッシュ「%(alias)s」のファイルの置き場所が %(name)s %(relation)s。キャッシュの中身が公開されたり、"
            "壊れたりするおそれがあります。",
            "環境変数 CACHE_URL を、STATIC_ROOT とその中以外の場所にしてください。"
            + PRODUCTION_ONLY
            + "すべてのホストで共有する Redis（rediscache://…）を指定してください。",
            r"Your '(?P<alias>[^']*)' cache configuration might expose your cache or lead to corruption of your "
            r"data because its LOCATION (?P<relation>matches|is inside|contains) (?P<name>\w+)\.",
        ),
    ),
    "caches.W003": (
        Text(
            "キャッシュ「%(alias)s」のファイルの置き場所が相対パスです。起動した場所によって変わります。",
            "環境変数 CACHE_URL のファイルの場所は絶対パスで指定してください（filecache:///…）。"
            + PRODUCTION_ONLY
            + "すべてのホストで共有する Redis（rediscache://…）を指定してください。",
            r"Your '(?P<alias>[^']*)' cache LOCATION path is relative\. Use an absolute path instead\.",
        ),
    ),
    "staticfiles.E002": (
        Text(
            "STATIC_ROOT（collectstatic の書き出し先）がプロジェクトの static フォルダーそのものです。",
            "環境変数 STATIC_ROOT に、プロジェクトの static フォルダー以外の場所を指定してください"
            "（例：/srv/mynatrust/static）。",
        ),
    ),
    "async.E001": (
        Text(
            "環境変数 DJANGO_ALLOW_ASYNC_UNSAFE が設定されています。非同期の処理からデータベースを使う危険な呼び出しが"
            "止められなくなります。",
            "サービスの環境（systemd のユニットなど）から環境変数 DJANGO_ALLOW_ASYNC_UNSAFE を外してください。",
        ),
    ),
    # django-otp-webauthn (staff passkeys)
    "otp_webauthn.E010": (
        Text(
            "パスキーの結び付くドメイン（RP ID）が設定されていません。",
            "環境変数 WEBAUTHN_RP_ID を空にせず、サービスのドメインを指定するか、"
            "外して SERVICE_BASE_URL のホスト名を使ってください。変えると登録済みのパスキーはすべて使えなくなります。",
        ),
    ),
    "otp_webauthn.E011": (
        Text(
            "パスキーの登録時に表示するサービス名（RP 名）が設定されていません。",
            "環境変数 WEBAUTHN_RP_NAME を空にせず、サービス名を指定するか、外して既定の名前を使ってください。",
        ),
    ),
    "otp_webauthn.E030": (
        Text(
            "パスキーを使える接続元（オリジン）が設定されていません。",
            "環境変数 WEBAUTHN_ORIGINS にサービスの https のオリジンをカンマ区切りで指定するか、"
            "外して SERVICE_BASE_URL から決まるオリジンを使ってください。",
        ),
    ),
    "otp_webauthn.E031": (
        Text(
            "パスキーを使える接続元「%(origin)s」が https ではありません。",
            "環境変数 WEBAUTHN_ORIGINS には https のオリジンだけを指定してください（例：https://eloa.example.jp）。"
            "指定していなければ、SERVICE_BASE_URL を https のアドレスにしてください。",
            r"Allowed origin '(?P<origin>[^']*)' is not a secure origin\.",
        ),
        Text(
            "パスキーを使える接続元（オリジン）の設定がリストではありません。",
            "環境変数 WEBAUTHN_ORIGINS にサービスの https のオリジンをカンマ区切りで指定してください。",
            r"Allowed origins must be a list\.",
        ),
    ),
}


def japanese() -> bool:
    """True when the active language is Japanese (the default of every command)."""
    return (translation.get_language() or "").split("-")[0] == "ja"


def in_readers_language(issue: CheckMessage) -> CheckMessage:
    """``issue`` with its Japanese text when the reader reads Japanese and one fits it; otherwise
    ``issue`` itself, as its check wrote it."""
    if not japanese():
        return issue
    for text in TEXTS.get(issue.id or "", ()):
        said = text.said(issue)
        if said:
            message, hint = said
            return CheckMessage(issue.level, message, hint=hint, obj=issue.obj, id=issue.id)
    return issue
