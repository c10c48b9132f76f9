import io

from mynatrust.lib.mail import ReadableConsoleBackend


def test_the_demo_console_prints_japanese_mail_as_readable_text():
    from django.core.mail import EmailMessage

    stream = io.StringIO()
    backend = ReadableConsoleBackend(stream=stream)
    backend.send_messages(
        [
            EmailMessage(
                "【確認】登録",
                "次のリンクを開いてください。\nhttp://127.0.0.1:8000/x/",
                "a@example.jp",
                ["b@example.jp"],
            )
        ]
    )
    out = stream.getvalue()
    assert "Subject: 【確認】登録" in out and "http://127.0.0.1:8000/x/" in out
