"""Review security-2026-11, M4: signatures verifiable in the long term (PAdES B-T / B-LTA with
the commune's timestamp authority, validation data inside), and certificate revocation."""
import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from desktop.cli import main
from desktop.domain.catalogue import load_catalogue
from desktop.domain.errors import Refusal
from desktop.services import paperwork, trust
from desktop.services.commune import Commune
from desktop.services.verification import set_trust_anchor, verify_registered
from desktop.store.decisions import signed_pdf
from desktop.store.users import authenticate, find_user
from reports.pki import issue_signer, make_ca, write_pkcs12
from reports.signing import SigningError
from tests.builders import signable_draft
from tests.desktop.security.tsa import running_tsa

THREE_YEARS = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3 * 365 + 10)


@pytest.fixture
def commune_ca(store, tmp_path):
    """The demo commune re-anchored on a CA whose key the test holds (to issue CRLs), with a
    president's certificate valid two years, as the review's."""
    president = authenticate(store, "president", "president-demo")
    ca = make_ca("Commune de Casablanca")
    set_trust_anchor(store, president, ca.cert)
    issued = issue_signer(ca, "Président du conseil communal", "Commune de Casablanca", days=730)
    p12 = tmp_path / "president.p12"
    write_pkcs12(p12, issued, ca, "pw")
    from desktop.services.verification import bind_certificate
    bind_certificate(store, president, "president", issued.cert)
    trust.issue_crl(store, president, ca.key)  # its CRL: the revocation data a later validation needs
    return {"ca": ca, "cert": issued.cert, "p12": p12, "president": president}


def _sign(store, user, p12, catalogue):
    coordinator = authenticate(store, "coordinateur", "coord-demo")
    draft = signable_draft(store, coordinator, catalogue, "hygiene")
    paperwork.sign_decision(Commune(store.path, store, load_catalogue(), user=user), draft, p12, "pw")
    return draft


def _pyhanko_future(pdf: bytes, ca, tsa_root):
    """pyHanko's own AdES LTA validator, three years ahead, from what is inside the file only."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from reports.ltv import validate_long_term
    sig = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures[0]
    return validate_long_term(sig, [ca.cert], [tsa_root] if tsa_root else [], THREE_YEARS)


def test_timestamped_decision_verifies_after_its_certificate_expired(store, commune_ca, catalogue, tmp_path, capsys):
    with running_tsa() as (url, tsa_root, requests):
        trust.set_timestamp_authority(store, commune_ca["president"], url, tsa_root)
        draft = _sign(store, commune_ca["president"], commune_ca["p12"], catalogue)
    assert len(requests) >= 2  # the signature's timestamp and the document timestamp (B-LTA); pyHanko also sizes one
    pdf = signed_pdf(store, draft)
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(pdf)))
    assert len(dss.certs) >= 3 and len(dss.crls) == 1  # the chains and the commune's CRL are inside
    assert commune_ca["cert"].not_valid_after_utc < THREE_YEARS  # expired by then
    assert _pyhanko_future(pdf, commune_ca["ca"], tsa_root) == (True, "")
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    result = verify_registered(store, path, THREE_YEARS)
    assert result.ok and result.level == "B-LTA" and result.timestamp, result.problems
    assert main(["decision", "verify", str(path), "--db", str(store.path), "--at", THREE_YEARS.date().isoformat()]) == 0
    out = capsys.readouterr().out
    assert "B-LTA" in out and "OK" in out
    # without the database: the commune's CA and the TSA's, as someone handed the file would
    ca, tsa = tmp_path / "ca.pem", tmp_path / "tsa.pem"
    ca.write_bytes(commune_ca["ca"].cert.public_bytes(Encoding.PEM))
    tsa.write_bytes(tsa_root.public_bytes(Encoding.PEM))
    at = THREE_YEARS.date().isoformat()
    assert main(["decision", "verify", str(path), "--ca", str(ca), "--tsa-ca", str(tsa), "--at", at]) == 0
    assert main(["decision", "verify", str(path), "--ca", str(ca), "--at", at]) == 1  # the TSA unknown: not trusted


def test_without_a_tsa_the_signature_says_so_and_dies_with_its_certificate(store, commune_ca, catalogue, tmp_path, capsys):
    draft = _sign(store, commune_ca["president"], commune_ca["p12"], catalogue)
    pdf = signed_pdf(store, draft)
    path = tmp_path / "d.pdf"
    path.write_bytes(pdf)
    now = verify_registered(store, path)
    assert now.ok and now.level == "B-B" and not now.timestamp
    later = verify_registered(store, path, THREE_YEARS)
    assert not later.ok and later.trusted is False
    assert main(["decision", "verify", str(path), "--db", str(store.path), "--at", THREE_YEARS.date().isoformat()]) == 1
    assert "sans horodatage" in capsys.readouterr().out
    # the CLI says at each signature that no authority is configured
    import os
    coordinator = authenticate(store, "coordinateur", "coord-demo")
    draft2 = signable_draft(store, coordinator, catalogue, "hygiene")
    os.environ.update(COMMUNE_POLICE_PASSWORD="president-demo", COMMUNE_POLICE_PKCS12_PASSWORD="pw")
    try:
        assert main(["decision", "sign", draft2, "--db", str(store.path), "--pkcs12", str(commune_ca["p12"])]) == 0
    finally:
        del os.environ["COMMUNE_POLICE_PASSWORD"], os.environ["COMMUNE_POLICE_PKCS12_PASSWORD"]
    assert "aucune autorité d'horodatage" in capsys.readouterr().out.lower()


def test_an_unreachable_tsa_signs_nothing(store, commune_ca, catalogue):
    trust.set_timestamp_authority(store, commune_ca["president"], "http://127.0.0.1:9/tsa")
    before = store.scalar("SELECT count(*) FROM decision WHERE status = 'signed'")
    with pytest.raises(SigningError) as refused:
        _sign(store, commune_ca["president"], commune_ca["p12"], catalogue)
    assert refused.value.code == "tsa_failed"
    assert store.scalar("SELECT count(*) FROM decision WHERE status = 'signed'") == before


def test_only_the_president_sets_the_tsa(store, commune_ca):
    from desktop.domain.auth import PermissionDenied
    admin = authenticate(store, "admin", "admin-demo")
    with pytest.raises(PermissionDenied):
        trust.set_timestamp_authority(store, admin, "http://evil.example/tsa")
    with pytest.raises(Refusal):
        trust.set_timestamp_authority(store, commune_ca["president"], "file:///etc/passwd")
    assert trust.tsa_url(store) is None


def test_a_revoked_certificate_signs_nothing_and_verify_names_later_decisions(store, commune_ca, catalogue, tmp_path, capsys):
    president = commune_ca["president"]
    draft = _sign(store, president, commune_ca["p12"], catalogue)  # signed today, before revocation
    path = tmp_path / "d.pdf"
    path.write_bytes(signed_pdf(store, draft))
    assert verify_registered(store, path).ok
    # the administrator cannot revoke; the president can, journaled
    from desktop.domain.auth import PermissionDenied
    with pytest.raises(PermissionDenied):
        trust.revoke_certificate(store, authenticate(store, "admin", "admin-demo"), "perdu", cert=commune_ca["cert"])
    seq = store.scalar("SELECT max(seq) FROM journal")
    trust.revoke_certificate(store, president, "clé perdue", cert=commune_ca["cert"], on=dt.date.today())
    assert store.scalar("SELECT entity FROM journal WHERE seq > ? AND op = 'insert'", (seq,)) == "certificate_revocation"
    with pytest.raises(SigningError) as refused:
        _sign(store, president, commune_ca["p12"], catalogue)
    assert refused.value.code == "certificate_revoked"
    # the decision of the same day counts as signed after revocation
    result = verify_registered(store, path)
    assert not result.ok and any("revoked" in p for p in result.problems)
    assert main(["decision", "verify", str(path), "--db", str(store.path)]) == 1
    assert "revoked on" in capsys.readouterr().out
    assert main(["check", "--db", str(store.path)]) == 0


def test_a_decision_signed_before_the_revocation_still_verifies(store, commune_ca, catalogue, tmp_path):
    draft = _sign(store, commune_ca["president"], commune_ca["p12"], catalogue)
    path = tmp_path / "d.pdf"
    path.write_bytes(signed_pdf(store, draft))
    trust.revoke_certificate(store, commune_ca["president"], "départ", username="president",
                             on=dt.date.today() + dt.timedelta(days=1))
    assert verify_registered(store, path).ok


def test_the_crl_is_issued_checked_and_embedded(store, commune_ca, catalogue, tmp_path, capsys):
    president = commune_ca["president"]
    # a CRL from another CA is refused
    other = make_ca("Autre")
    foreign = (x509.CertificateRevocationListBuilder().issuer_name(commune_ca["ca"].cert.subject)
               .last_update(dt.datetime.now(dt.timezone.utc)).next_update(dt.datetime.now(dt.timezone.utc)
                                                                        + dt.timedelta(days=1)).sign(other.key, hashes.SHA256()))
    with pytest.raises(SigningError) as refused:
        trust.set_crl(store, president, foreign)
    assert refused.value.code == "crl_not_commune"
    # the commune's CA revokes a colleague's certificate: its serial is on the CRL kept and published
    colleague = issue_signer(commune_ca["ca"], "Ancien vice-président", "Commune de Casablanca")
    trust.revoke_certificate(store, president, "départ", cert=colleague.cert)
    crl = trust.issue_crl(store, president, commune_ca["ca"].key)
    assert crl.get_revoked_certificate_by_serial_number(colleague.cert.serial_number) is not None
    out = tmp_path / "commune.crl"
    assert main(["ca", "crl", "--db", str(store.path), "--out", str(out)]) == 0
    assert x509.load_pem_x509_crl(out.read_bytes()).public_bytes(Encoding.DER) == crl.public_bytes(Encoding.DER)
    # a certificate only on the CA's CRL (not revoked here) is refused too
    outsider = issue_signer(commune_ca["ca"], "Autre signataire", "Commune de Casablanca")
    listed = (x509.CertificateRevocationListBuilder().issuer_name(commune_ca["ca"].cert.subject)
              .last_update(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1))
              .next_update(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
              .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(outsider.cert.serial_number)
                                       .revocation_date(dt.datetime.now(dt.timezone.utc)).build())
              .sign(commune_ca["ca"].key, hashes.SHA256()))
    trust.set_crl(store, president, listed)
    with pytest.raises(SigningError):
        trust.check_not_revoked(store, outsider.cert)
    # each signature now carries the CRL in its validation data
    draft = _sign(store, president, commune_ca["p12"], catalogue)
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed_pdf(store, draft))))
    assert len(dss.crls) == 1
    assert main(["ca", "list", "--db", str(store.path)]) == 0
    assert "départ" in capsys.readouterr().out
    assert find_user(store, "president")


def test_ca_commands(demo_path, monkeypatch, capsys, tmp_path):
    """The president sets the TSA and revokes from the command line; the administrator cannot."""
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "president-demo")
    db = ["--db", str(demo_path)]
    assert main(["ca", "tsa", *db, "--url", "https://tsa.example.ma/rfc3161"]) == 0
    assert main(["ca", "tsa", *db, "--url", "ftp://tsa.example.ma"]) == 2
    assert "invalide" in capsys.readouterr().err
    assert main(["ca", "revoke", *db, "--account", "vicepresident", "--reason", "Fin de mandat"]) == 0
    assert main(["ca", "revoke", *db, "--account", "vicepresident", "--reason", "encore"]) == 2  # already
    assert main(["ca", "list", *db]) == 0
    out = capsys.readouterr().out
    assert "TSA: https://tsa.example.ma/rfc3161" in out and "vicepresident" in out and "Fin de mandat" in out
    assert main(["ca", "tsa", *db, "--none"]) == 0
    assert "Aucune autorité d'horodatage" in capsys.readouterr().out
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    assert main(["ca", "revoke", *db, "--account", "president", "--reason", "coup de force", "--user", "admin"]) == 2
    assert main(["ca", "crl", *db, "--out", str(tmp_path / "c.crl")]) == 0  # the demo CA's CRL, published
    assert x509.load_pem_x509_crl((tmp_path / "c.crl").read_bytes()).issuer.rfc4514_string().startswith("CN=Commune")
    assert main(["check", *db]) == 0
