"""A-6 documents, A-7 face photo, SEC-4 upload safety: zairyu.applications.uploads.

The hostile files are built in memory (tests/applications/uploads_fixtures.py). The checks
themselves need no database; the SEC-4 active-content refusals are also proven over HTTP, on
the page where a filer attaches a PDF to an application.
"""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError

from zairyu.applications.uploads import check_pdf, check_photo, check_total

from . import uploads_fixtures as f
from .drafting import media_root  # noqa: F401 (autouse fixture: uploaded files in a tmp folder)

MB = 1024 * 1024


def refused(check, uploaded) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        check(uploaded)
    return exc.value


# --- PDF documents --------------------------------------------------------------------


def test_a6_plain_pdf_accepted_with_pages_hash_and_size():
    data = f.good_pdf(pages=3)
    result = check_pdf(f.upload(data, "passport.pdf"))
    assert result.pages == 3
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.name == "passport.pdf"


def test_a6_pdf_with_object_streams_accepted():
    assert check_pdf(f.upload(f.good_pdf(object_streams=True), "a.pdf")).pages == 2


def test_a6_accepted_upload_is_rewound_for_storing():
    uploaded = f.upload(f.good_pdf(), "a.pdf")
    check_pdf(uploaded)
    assert uploaded.read(5) == b"%PDF-"


def test_a6_file_name_is_only_the_last_part():
    result = check_pdf(f.upload(f.good_pdf(), "C:\\Users\\me\\書類.pdf"))
    assert result.name == "書類.pdf"


def test_a6_user_password_refused_as_encrypted():
    error = refused(check_pdf, f.upload(f.encrypted_pdf(user="secret"), "locked.pdf"))
    assert error.code == "pdf_encrypted"
    assert error.params["name"] == "locked.pdf"
    assert "locked.pdf" in error.messages[0]
    assert "Remove the password" in error.messages[0]


@pytest.mark.parametrize(
    "restriction",
    [
        {"print_lowres": False, "print_highres": False},  # 印刷禁止
        {"extract": False},  # コピー・ペースト禁止
    ],
    ids=["no_print", "no_copy"],
)
def test_a6_owner_password_restrictions_refused(restriction):
    data = f.encrypted_pdf(user="", owner="owner", **restriction)
    error = refused(check_pdf, f.upload(data, "restricted.pdf"))
    assert error.code == "pdf_restricted"
    assert "printing or copying" in error.messages[0]
    assert "restricted.pdf" in error.messages[0]


def test_a6_owner_password_without_restrictions_still_refused():
    # 002 Q4-2: any security setting makes the agency's copy an error file.
    error = refused(check_pdf, f.upload(f.encrypted_pdf(user=""), "owner.pdf"))
    assert error.code == "pdf_encrypted"


def test_a6_jpeg_renamed_pdf_refused_by_content():
    error = refused(check_pdf, f.upload(f.jpeg(), "scan.pdf"))
    assert error.code == "pdf_not_pdf"
    assert "scan.pdf" in error.messages[0]


def test_a6_text_file_claiming_pdf_content_type_refused():
    error = refused(check_pdf, f.upload(b"hello, I am a PDF", "x.pdf", "application/pdf"))
    assert error.code == "pdf_not_pdf"


def test_a6_empty_file_refused():
    assert refused(check_pdf, f.upload(b"", "empty.pdf")).code == "pdf_empty"


@pytest.mark.parametrize("cut", [0.5, 0.97], ids=["half", "trailer_missing"])
def test_a6_truncated_pdf_refused_as_damaged(cut):
    data = f.good_pdf(pages=3)
    error = refused(check_pdf, f.upload(data[: int(len(data) * cut)], "cut.pdf"))
    assert error.code == "pdf_damaged"


def test_a6_pdf_header_with_garbage_refused_as_damaged():
    error = refused(check_pdf, f.upload(b"%PDF-1.7\n" + b"\x00garbage" * 200, "g.pdf"))
    assert error.code == "pdf_damaged"


def test_a6_pdf_without_pages_refused():
    import pikepdf

    buffer = io.BytesIO()
    pikepdf.new().save(buffer)
    assert refused(check_pdf, f.upload(buffer.getvalue(), "n.pdf")).code == "pdf_no_pages"


# --- A-6 / SEC-4: sizes before reading -----------------------------------------------------


def test_sec4_oversize_pdf_refused_without_reading():
    # read() and chunks() fail the test if they are called.
    uploaded = f.ReadForbidden(size=10 * MB + 1, name="big.pdf")
    error = refused(check_pdf, uploaded)
    assert error.code == "pdf_too_large"
    assert error.params == {"name": "big.pdf", "limit_mb": "10"}
    assert "big.pdf" in error.messages[0]


def test_a6_pdf_of_exactly_the_limit_is_not_refused_for_size(settings):
    settings.ZAIRYU_UPLOAD_PDF_MAX_BYTES = 200_000
    data = f.good_pdf(padding=150_000)
    assert len(data) <= 200_000
    settings.ZAIRYU_UPLOAD_PDF_MAX_BYTES = len(data)
    assert check_pdf(f.upload(data, "edge.pdf")).size == len(data)
    settings.ZAIRYU_UPLOAD_PDF_MAX_BYTES = len(data) - 1
    assert refused(check_pdf, f.upload(data, "edge.pdf")).code == "pdf_too_large"


def test_sec4_size_that_lies_is_caught_by_the_bounded_read(settings):
    settings.ZAIRYU_UPLOAD_PDF_MAX_BYTES = 5000
    data = f.good_pdf(padding=20_000)

    class Liar(io.BytesIO):
        size = 100  # claims small
        name = "liar.pdf"
        reads: list[int] = []

        def read(self, n=-1):
            self.reads.append(n)
            return super().read(n)

    liar = Liar(data)
    assert refused(check_pdf, liar).code == "pdf_too_large"
    assert liar.reads == [5001]  # never more than limit + 1


def test_a6_limit_is_configurable(settings):
    settings.ZAIRYU_UPLOAD_PDF_MAX_BYTES = 1000
    error = refused(check_pdf, f.upload(f.good_pdf(padding=5000), "a.pdf"))
    assert error.code == "pdf_too_large"


def test_a6_total_over_25_mb_refused():
    assert check_total([10 * MB, 10 * MB, 5 * MB]) == 25 * MB
    with pytest.raises(ValidationError) as exc:
        check_total([10 * MB, 10 * MB, 5 * MB + 1])
    assert exc.value.code == "pdf_total_too_large"
    assert "25 MB" in exc.value.messages[0]


def test_a6_total_limit_is_configurable(settings):
    settings.ZAIRYU_UPLOAD_TOTAL_MAX_BYTES = 3 * MB
    with pytest.raises(ValidationError) as exc:
        check_total([2 * MB, 2 * MB])
    assert exc.value.code == "pdf_total_too_large"


# --- SEC-4: active content and embedded files ------------------------------------------------


@pytest.mark.parametrize(
    "builder",
    [
        f.javascript_open_action_pdf,
        f.javascript_in_object_stream_pdf,
        f.additional_actions_pdf,
        f.javascript_name_tree_pdf,
    ],
    ids=["open_action", "object_stream", "additional_actions", "name_tree"],
)
def test_sec4_pdf_with_javascript_refused(builder):
    error = refused(check_pdf, f.upload(builder(), "script.pdf"))
    assert error.code == "pdf_javascript"
    assert "script.pdf" in error.messages[0]


def test_sec4_javascript_in_object_stream_is_not_visible_in_the_bytes():
    # The test above proves the walk reads inside compressed object streams.
    data = f.javascript_in_object_stream_pdf()
    assert b"/JS" not in data and b"JavaScript" not in data


def test_sec4_pdf_with_launch_action_refused():
    assert refused(check_pdf, f.upload(f.launch_pdf(), "l.pdf")).code == "pdf_launch"


@pytest.mark.parametrize(
    "builder",
    [f.embedded_file_pdf, f.file_attachment_annotation_pdf],
    ids=["embedded_files", "file_attachment_annotation"],
)
def test_sec4_pdf_with_embedded_file_refused(builder):
    error = refused(check_pdf, f.upload(builder(), "attach.pdf"))
    assert error.code == "pdf_embedded_file"


def test_sec4_pdf_with_too_many_objects_refused(settings):
    settings.ZAIRYU_UPLOAD_PDF_MAX_OBJECTS = 500
    data = f.many_objects_pdf(600)
    error = refused(check_pdf, f.upload(data, "many.pdf"))
    assert error.code == "pdf_too_complex"
    settings.ZAIRYU_UPLOAD_PDF_MAX_OBJECTS = 5000
    assert check_pdf(f.upload(data, "many.pdf")).pages == 1


def test_sec4_pdf_inflate_bomb_refused(settings):
    settings.ZAIRYU_UPLOAD_PDF_MAX_STREAM_BYTES = 1 * MB
    data = f.inflate_bomb_pdf(8 * MB)
    assert len(data) < 50_000
    assert refused(check_pdf, f.upload(data, "bomb.pdf")).code == "pdf_too_complex"
    # The same structure, small enough, is a valid PDF: the refusal is about the size.
    assert check_pdf(f.upload(f.inflate_bomb_pdf(1000), "ok.pdf")).pages == 1


def test_sec4_qpdf_limit_is_put_back_after_the_check(settings):
    import pikepdf

    before = pikepdf.settings.get_qpdf_limits()["flate_max_memory"]
    settings.ZAIRYU_UPLOAD_PDF_MAX_STREAM_BYTES = 1 * MB
    refused(check_pdf, f.upload(f.inflate_bomb_pdf(8 * MB), "bomb.pdf"))
    assert pikepdf.settings.get_qpdf_limits()["flate_max_memory"] == before


# The active content refused besides JavaScript (SEC-4), each with the reason in user terms.
ACTIVE = [
    (f.uri_open_action_pdf, "pdf_open_action", "does something by itself when it is opened"),
    (f.named_open_action_pdf, "pdf_open_action", "does something by itself"),
    (f.goto_then_uri_open_action_pdf, "pdf_open_action", "does something by itself"),
    (f.uri_additional_action_pdf, "pdf_open_action", "does something by itself"),
    (f.launch_pdf, "pdf_launch", "starts another program"),
    (f.launch_link_pdf, "pdf_launch", "starts another program"),
    (f.submit_form_pdf, "pdf_submit_form", "sends what is typed into it"),
    (f.goto_remote_pdf, "pdf_other_file", "opens or reads another file"),
    (f.import_data_pdf, "pdf_other_file", "opens or reads another file"),
    (f.goto_embedded_pdf, "pdf_embedded_file", "attached or embedded files"),
    (f.rich_media_pdf, "pdf_multimedia", "sound, video, Flash or 3D content"),
    (f.sound_pdf, "pdf_multimedia", "sound, video, Flash or 3D content"),
    (f.movie_action_pdf, "pdf_multimedia", "sound, video, Flash or 3D content"),
    (f.xfa_pdf, "pdf_xfa", "dynamic (XFA) form"),
]
ACTIVE_IDS = [
    "open_action_uri",
    "open_action_named",
    "open_action_goto_next_uri",
    "additional_action_uri",
    "open_action_launch",
    "link_launch",
    "submit_form",
    "goto_remote",
    "import_data",
    "goto_embedded",
    "rich_media",
    "sound",
    "movie",
    "xfa",
]
PLAIN = [f.internal_link_pdf, f.goto_open_action_pdf, f.web_link_pdf]
PLAIN_IDS = ["internal_link_and_destination", "open_action_goto", "web_link_clicked"]


@pytest.mark.parametrize(("builder", "code", "words"), ACTIVE, ids=ACTIVE_IDS)
def test_sec4_pdf_with_active_content_refused_with_the_reason(builder, code, words):
    error = refused(check_pdf, f.upload(builder(), "active.pdf"))
    assert error.code == code
    assert "active.pdf" in error.messages[0] and words in error.messages[0]


@pytest.mark.parametrize("builder", PLAIN, ids=PLAIN_IDS)
def test_sec4_pdf_with_links_and_a_destination_accepted(builder):
    assert check_pdf(f.upload(builder(), "plain.pdf")).pages == 2


def test_sec4_javascript_is_the_reason_given_before_others():
    """A file with several kinds of active content is refused for the most serious one."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(f.launch_pdf()))
    pdf.pages[0].AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("1;"))
    )
    buffer = io.BytesIO()
    pdf.save(buffer)
    assert refused(check_pdf, f.upload(buffer.getvalue(), "both.pdf")).code == "pdf_javascript"


def test_sec4_open_action_chain_that_loops_is_refused_not_followed_forever():
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(f.good_pdf()))
    action = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([pdf.pages[0].obj]))
    )
    action.Next = action  # /Next points back at itself
    pdf.Root.OpenAction = action
    buffer = io.BytesIO()
    pdf.save(buffer)
    assert refused(check_pdf, f.upload(buffer.getvalue(), "loop.pdf")).code == "pdf_open_action"


# --- SEC-4 over HTTP: the filer's document page ------------------------------------------------


@pytest.fixture
def draft_page(client):
    """An organization's staff member signed in, with a draft extension whose steps are done
    up to the organization: its document page takes PDFs."""
    import datetime as dt

    from django.conf import settings
    from django.urls import reverse

    from tests.cards.factories import make_card, next_number
    from zairyu.applications import services
    from zairyu.core import clock

    from .drafting import organization_data, personal1_for, personal2_for, save
    from .factories import make_organization_staff

    user, organization = make_organization_staff()
    end = clock.today() + dt.timedelta(days=60)
    card = make_card(number=next_number("EM"), stay_until=end, card_valid_until=end)
    draft = services.application_start(user=user, procedure="extension", status=card.status_id)
    save(user, draft, "personal1", personal1_for(card))
    save(user, draft, "personal2", personal2_for(card))
    save(user, draft, "organization", organization_data(organization))
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def post(data: bytes, name: str):
        return client.post(
            reverse("applications:document_add", args=[draft.pk]),
            {"kind": "activity", "file": f.upload(data, name)},
        )

    post.draft = draft
    return post


def _page_text(response) -> str:
    import html
    import re

    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


@pytest.mark.django_db
@pytest.mark.parametrize(("builder", "code", "words"), ACTIVE, ids=ACTIVE_IDS)
def test_sec4_pdf_with_active_content_refused_over_http(draft_page, builder, code, words):
    response = draft_page(builder(), "hostile.pdf")
    assert response.status_code == 400
    page = _page_text(response)
    assert 'class="error-summary"' in page
    assert "hostile.pdf" in page and words in page
    assert draft_page.draft.documents.count() == 0


@pytest.mark.django_db
def test_sec4_pdf_with_launch_refused(draft_page):
    response = draft_page(f.launch_link_pdf(), "launch.pdf")
    assert response.status_code == 400
    assert "launch.pdf contains an action that starts another program" in _page_text(response)
    assert draft_page.draft.documents.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("builder", PLAIN, ids=PLAIN_IDS)
def test_sec4_plain_pdf_with_internal_goto_link_accepted_over_http(draft_page, builder):
    response = draft_page(builder(), "plain.pdf")
    assert response.status_code == 302
    (document,) = draft_page.draft.documents.all()
    assert document.original_name == "plain.pdf"


# --- face photo ------------------------------------------------------------------------


def test_a7_jpeg_of_50_kb_accepted():
    data = f.jpeg_of_size(51_200)
    result = check_photo(f.upload(data, "face.jpg", "image/jpeg"))
    assert (result.width, result.height) == (300, 400)
    assert result.size == 51_200
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_a7_small_jpeg_accepted_whatever_its_name():
    assert check_photo(f.upload(f.jpeg(), "face.JPEG", "image/jpeg")).width == 300


def test_a7_jpeg_of_51_kb_refused():
    error = refused(check_photo, f.upload(f.jpeg_of_size(51 * 1024), "face.jpg", "image/jpeg"))
    assert error.code == "photo_too_large"
    assert "50 KB" in error.messages[0]
    assert "face.jpg" in error.messages[0]


def test_sec4_oversize_photo_refused_without_reading():
    error = refused(check_photo, f.ReadForbidden(size=51_201, name="face.jpg"))
    assert error.code == "photo_too_large"


def test_a7_png_renamed_jpg_refused():
    error = refused(check_photo, f.upload(f.png(), "face.jpg", "image/jpeg"))
    assert error.code == "photo_not_jpeg"
    assert "face.jpg" in error.messages[0]


def test_a7_pdf_as_photo_refused():
    assert refused(check_photo, f.upload(f.good_pdf(), "f.jpg")).code == "photo_not_jpeg"


def test_a7_empty_photo_refused():
    assert refused(check_photo, f.upload(b"", "f.jpg")).code == "photo_empty"


def test_a7_truncated_jpeg_refused():
    data = f.jpeg()
    error = refused(check_photo, f.upload(data[: len(data) // 2], "face.jpg", "image/jpeg"))
    assert error.code == "photo_damaged"


def test_sec4_decompression_bomb_refused_before_decoding():
    # 60000 × 60000 declared in a 1 KB file: Pillow's own bomb guard (raised at open).
    data = f.jpeg_declaring(60_000, 60_000)
    assert len(data) < 2000
    error = refused(check_photo, f.upload(data, "bomb.jpg", "image/jpeg"))
    assert error.code == "photo_too_many_pixels"


def test_sec4_pixel_cap_checked_before_decoding(settings, monkeypatch):
    # 3000 × 3000 declared in a tiny file: under Pillow's own guard, over ours.
    from PIL import ImageFile

    data = f.jpeg_declaring(3000, 3000)
    real_load = ImageFile.ImageFile.load

    def no_decoding(self):
        raise AssertionError("pixels were decoded before the pixel cap was checked")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    error = refused(check_photo, f.upload(data, "big.jpg", "image/jpeg"))
    assert error.code == "photo_too_many_pixels"
    assert error.params["width"] == 3000 and error.params["height"] == 3000
    assert "big.jpg" in error.messages[0]
    # Under a higher cap the same file reaches the decoder.
    monkeypatch.setattr(ImageFile.ImageFile, "load", real_load)
    settings.ZAIRYU_UPLOAD_PHOTO_MAX_PIXELS = 10_000_000
    assert check_photo(f.upload(data, "big.jpg")).width == 3000


def test_a7_photo_limit_is_configurable(settings):
    settings.ZAIRYU_UPLOAD_PHOTO_MAX_BYTES = 1000
    assert refused(check_photo, f.upload(f.jpeg(), "f.jpg")).code == "photo_too_large"
