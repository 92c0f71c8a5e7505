"""core.files: what an uploaded attachment is (from its bytes, within a size), as a table of
cases without a database."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core.errors import DomainError
from dangjian.core.files import attachment_name, check_attachment

PDF = b"%PDF-1.7\n" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


@pytest.mark.parametrize(
    ("content", "kind"),
    [(PDF, ("application/pdf", ".pdf")), (PNG, ("image/png", ".png"))],
)
def test_an_image_or_pdf_within_the_limit_is_taken_by_its_bytes_whatever_its_name(content, kind):
    upload = SimpleUploadedFile("说明.exe", content)

    checked = check_attachment(upload, max_bytes=1024)

    assert (checked.content_type, checked.extension) == kind
    assert checked.size == len(content)
    assert upload.read() == content  # read again from the start when it is stored


@pytest.mark.parametrize(
    ("content", "limit", "code"),
    [
        (PDF, 50, "file_too_large"),
        (b"MZ\x90\x00" + b"0" * 100, 1024, "unsupported_file"),
        (b"RIFF0000WAVE" + b"0" * 100, 1024, "unsupported_file"),
    ],
)
def test_an_attachment_too_large_or_of_another_kind_is_refused(content, limit, code):
    with pytest.raises(DomainError) as refused:
        check_attachment(SimpleUploadedFile("a.pdf", content), max_bytes=limit)
    assert refused.value.code == code


def test_a_refused_large_attachment_names_the_limit_in_bytes():
    with pytest.raises(DomainError) as refused:
        check_attachment(SimpleUploadedFile("a.pdf", PDF), max_bytes=50)
    assert refused.value.details == {"limit": 50}


def test_an_attachment_keeps_the_uploaders_name_cut_to_fit():
    assert attachment_name("活动通知.pdf") == "活动通知.pdf"
    assert attachment_name("") == "attachment"
    assert len(attachment_name("长" * 300)) == 200
