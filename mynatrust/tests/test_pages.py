import pytest


@pytest.mark.django_db
def test_the_home_page_says_what_the_service_is_in_japanese(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert body.count("<h1") == 1
    assert "電子委任状取扱サービス" in body


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
