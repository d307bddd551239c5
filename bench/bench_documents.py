"""One decision as PDF: the application's renderer (HarfBuzz shaping, bidi, ReportLab) against
what commune clerks do today, LibreOffice headless converting an equivalent one-page ODT (same
text, Arabic, right to left) to PDF (target: at least 20x faster). Also the PAdES signing time,
a bilingual decision, the QR code's encoding alone, and validate_document (what drafting needs:
the template check without a PDF), with the templates given and loaded from the file."""
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from common import median, record

RUNS = 7


def odt(path: Path, paragraphs: list[str]) -> None:
    body = "".join(f'<text:p text:style-name="P1">{escape(p)}</text:p>' for p in paragraphs)
    content = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.2">
<office:automatic-styles><style:style style:name="P1" style:family="paragraph">
<style:paragraph-properties fo:text-align="end" style:writing-mode="rl-tb"/>
<style:text-properties style:font-name-complex="Amiri" style:font-size-complex="12pt"/></style:style></office:automatic-styles>
<office:body><office:text>{body}</office:text></office:body></office:document-content>"""
    manifest = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)


def main() -> None:
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from reports.documents import load_templates, qr_modules, qr_payload, render_document, validate_document
    from reports.pki import issue_signer, make_ca, write_pkcs12
    from reports.signing import sign_pdf
    from tests.reports.test_documents import sample
    doc = sample("closure", ("ar",))
    templates = load_templates()
    render_document(doc, templates)  # fonts loaded once per process, as in the application
    times, cpu = [], []
    for _ in range(RUNS):
        t, c = time.perf_counter(), time.process_time()
        pdf = render_document(doc, templates)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    app_s = median(times)
    result = {"app_render_ms": round(app_s * 1000, 1), "app_render_cpu_ms": round(median(cpu) * 1000, 1),
              "pdf_bytes": len(pdf)}
    both = sample("closure", ("ar", "fr"))
    result["app_render_ar_fr_ms"] = round(_median_ms(lambda: render_document(both, templates)), 1)
    result["qr_encode_ms"] = round(_median_ms(lambda: qr_modules(qr_payload(both, both.content_hash()))), 1)
    result["validate_ar_fr_ms"] = round(_median_ms(lambda: validate_document(both, templates)), 2)
    result["validate_ar_fr_loading_templates_ms"] = round(_median_ms(lambda: validate_document(both)), 2)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ca = make_ca("Bench")
        p12 = folder / "s.p12"
        write_pkcs12(p12, issue_signer(ca, "Signataire", "Bench"), ca, "pw")
        sign_times = []
        for _ in range(RUNS):
            t = time.perf_counter()
            sign_pdf(pdf, p12, "pw", "bench", "Casablanca")
            sign_times.append(time.perf_counter() - t)
        result["sign_ms"] = round(median(sign_times) * 1000, 1)
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if soffice:
            t_values = templates["documents"]["closure"]["ar"]
            from reports.documents import fill
            paragraphs = [*doc.header_ar, fill(t_values["title"], doc.values_ar), *[fill(v, doc.values_ar) for v in t_values["visas"]],
                          *[fill(v, doc.values_ar) for v in t_values["considerants"]], *[fill(v, doc.values_ar) for v in t_values["articles"]],
                          fill(t_values["execution"], doc.values_ar), fill(t_values["appeal"], doc.values_ar)]
            source = folder / "decision.odt"
            odt(source, paragraphs)
            lo_times = []
            profile = folder / "lo-profile"
            for _ in range(3):
                t = time.perf_counter()
                subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                                "--outdir", str(folder), str(source)], check=True, capture_output=True)
                lo_times.append(time.perf_counter() - t)
            lo_s = median(lo_times)
            result.update(libreoffice_convert_ms=round(lo_s * 1000), speedup=round(lo_s / app_s, 1), target_speedup=20)
        else:
            result["libreoffice"] = "not installed: absolute figures only"
    record("documents", result)


def _median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return median(times) * 1000


if __name__ == "__main__":
    main()
