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
    answer = response.json()
    assert answer["status"] == "ok" and answer["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_healthz_warns_about_missing_revocation_data_without_failing(client, settings):
    settings.SIGNATURE_REVOCATION_SOURCE = "crl"
    answer = client.get("/healthz").json()
    assert answer["checks"]["revocation_data"] == "warn"  # no CRL imported in this database
    assert answer["status"] == "ok"
