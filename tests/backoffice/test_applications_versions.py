"""BO-5, A-12: the officer's full view lists each version's added and removed documents from the
snapshot that submission stores (services._documents_snapshot), without crashing."""

import pytest

from tests.applications.officer_fixtures import add_requested_document, make_submitted, officer_of
from zairyu.applications.models import ApplicationVersion
from zairyu.applications.services import _documents_snapshot
from zairyu.core import clock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_bo5_full_view_lists_documents_added_and_removed_between_versions(client, sign_in_officer):
    sign_in_officer(client, officer_of("tokyo"))
    application = make_submitted()
    add_requested_document(application, name="employment-certificate.pdf")
    first = ApplicationVersion.objects.get(application=application, number=1)
    first.documents = _documents_snapshot(application, 1)
    first.save(update_fields=["documents"])
    assert first.documents and "original_name" not in first.documents[0]
    ApplicationVersion.objects.create(
        application=application,
        number=2,
        content=application.content,
        documents=[],
        receipt_method=application.receipt_method,
        created_at=clock.now(),
        actor=application.filer,
        actor_repr=str(application.filer),
    )
    from django.urls import reverse

    response = client.get(reverse("bo_applications:detail", args=[application.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Document added: employment-certificate.pdf" in text
    assert "Document removed: employment-certificate.pdf" in text
