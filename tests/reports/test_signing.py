"""PAdES signing and verification, with the certificates a commune may get wrong."""
import shutil
import subprocess

import pytest

from reports.pki import issue_signer, make_ca, write_pkcs12
from reports.signing import SigningError, sign_pdf, verify_pdf
from tests.reports.test_documents import sample
from reports.documents import render_document

PASSWORD = "secret-p12"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca("Commune de Test")
    files = {}
    for name, kw in {"good": {}, "expired": {"days": -1, "valid_from_days_ago": 30},
                     "future": {"valid_from_days_ago": -10}, "not_signing": {"can_sign": False}}.items():
        files[name] = folder / f"{name}.p12"
        write_pkcs12(files[name], issue_signer(ca, f"Signataire {name}", "Commune de Test", **kw), ca, PASSWORD)
    return ca, files


@pytest.fixture(scope="module")
def pdf():
    return render_document(sample(langs=("ar",)))


def test_signed_pdf_verifies_and_pdfsig_agrees(pki, pdf, tmp_path):
    ca, files = pki
    signed = sign_pdf(pdf, files["good"], PASSWORD, "Arrêté 12/2026", "Casablanca")
    result = verify_pdf(signed, [ca.cert])
    assert result.ok and result.trusted and result.whole_file and "Signataire good" in result.signer
    if shutil.which("pdfsig"):
        path = tmp_path / "s.pdf"
        path.write_bytes(signed)
        out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in out and "Total document signed" in out


@pytest.mark.parametrize("name,code", [("expired", "certificate_expired"), ("future", "certificate_not_yet_valid"),
                                       ("not_signing", "certificate_not_for_signing")])
def test_unusable_certificates_are_refused(pki, pdf, name, code):
    with pytest.raises(SigningError) as err:
        sign_pdf(pdf, pki[1][name], PASSWORD, "r", "l")
    assert err.value.code == code


def test_wrong_password_and_bad_file(pki, pdf, tmp_path):
    with pytest.raises(SigningError) as err:
        sign_pdf(pdf, pki[1]["good"], "not-the-password", "r", "l")
    assert err.value.code == "wrong_password"
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"not a certificate")
    with pytest.raises(SigningError) as err:
        sign_pdf(pdf, junk, PASSWORD, "r", "l")
    assert err.value.code in ("certificate_unreadable", "wrong_password")


def test_tampering_is_detected(pki, pdf):
    ca, files = pki
    signed = bytearray(sign_pdf(pdf, files["good"], PASSWORD, "r", "l"))
    signed[len(signed) // 3] ^= 0x20
    result = verify_pdf(bytes(signed), [ca.cert])
    assert not result.ok and "the signed content was modified" in result.problems


def test_content_appended_after_signing_is_detected(pki, pdf):
    ca, files = pki
    signed = sign_pdf(pdf, files["good"], PASSWORD, "r", "l")
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    import io
    from pyhanko.pdf_utils import generic
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root["/Lang"] = generic.TextStringObject("fr")  # an incremental update after signing
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = verify_pdf(out.getvalue(), [ca.cert])
    assert not result.whole_file and not result.ok


def test_other_authority_is_not_trusted(pki, pdf):
    signed = sign_pdf(pdf, pki[1]["good"], PASSWORD, "r", "l")
    result = verify_pdf(signed, [make_ca("Autre").cert])
    assert result.intact and result.valid and result.trusted is False and not result.ok


def test_unsigned_and_not_pdf(pdf):
    assert verify_pdf(pdf).signed is False
    with pytest.raises(SigningError) as err:
        verify_pdf(b"hello")
    assert err.value.code == "pdf_unreadable"
