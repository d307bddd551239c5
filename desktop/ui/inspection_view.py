"""A submitted inspection, read-only: what was found, why the visit happened, photos."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from desktop.domain.ids import local_display
from desktop.store.errors import StoreError
from desktop.store.inspections import get_inspection
from desktop.ui.session import Session
from desktop.ui.widgets import ltr


def inspection_html(session: Session, inspection_id: str) -> str:
    tr, labels, cat = session.tr, session.labels, session.catalogue
    i = get_inspection(session.store, inspection_id)
    esc = html.escape
    origin = tr.enum("origin", i["origin_type"])
    if i["origin_ref"]:
        origin += f" — {esc(i['origin_ref'])}"
    if i["origin_reason"]:
        origin += f" — {esc(i['origin_reason'])}"
    rows = [
        (tr("ui.col_date"), local_display(i["inspected_at"])),
        (tr("ui.field"), esc(labels.field(i["field_code"]))),
        (tr("ui.site"), f"{esc(i['site_name'])} — {esc(i['site_address'])}"),
        (tr("ui.owner_name"), esc(i["site_owner"] or "")),
        (tr("ui.district"), esc(labels.district(i["district_id"]))),
        (tr("ui.coordinates"), ltr(f"{i['lat']:.6f}, {i['lon']:.6f}") if i["lat"] is not None else ""),
        (tr("ui.officers"), esc(" / ".join(n for n in (labels.user(i["lead_officer_id"]), labels.user(i["second_officer_id"])) if n))),
        (tr("ui.origin"), origin),
        (tr("ui.outcome"), tr.enum("outcome", i["outcome"])),
        (tr("ui.notes"), esc(i["notes"])),
        (tr("ui.reference"), ltr(i["id"][:8].upper())),  # as typed in the list's search; not the whole UUID
    ]
    # Qt lays table columns out left to right whatever the direction: in Arabic the label column
    # is written last so that it sits on the right, where the reading starts.
    if tr.rtl:
        cells = [f"<tr><td align='right'>{v}</td><td align='right' width='28%'><b>{k}</b></td></tr>" for k, v in rows]
    else:
        cells = [f"<tr><td width='28%'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows]
    out = ["<table width='100%' cellpadding='4'>", *cells, "</table>"]
    if i["findings"]:
        out.append(f"<h3>{tr('ui.sec_findings')}</h3><ul>")
        for f in i["findings"]:
            line = esc(labels.violation(f["violation_code"]))
            if cat.has_violation(f["violation_code"]):
                v = cat.violation(f["violation_code"])
                basis = cat.bases_label(v.basis, tr.lang)
                line += f"<br><small>{esc(basis)} — {tr.enum('next_step', v.next_step)}</small>"
                if f["measure_value"] is not None and v.measure:
                    line += f" — {f['measure_value']:g} {tr.enum('unit', v.measure.unit)}"
            if f["note"]:
                line += f" — {esc(f['note'])}"
            out.append(f"<li>{line}</li>")
        out.append("</ul>")
    if i["checklist"]:
        fld = cat.field(i["field_code"]) if cat.has_field(i["field_code"]) else None
        names = {c.code: (c.ar if tr.lang == "ar" else c.fr) for c in (fld.checklist if fld else [])}
        out.append(f"<h3>{tr('ui.sec_checklist')}</h3><ul>")
        out += [f"<li>{esc(names.get(code, code))}: <b>{tr.enum('answer', a)}</b></li>" for code, a in i["checklist"].items()]
        out.append("</ul>")
    if i["photos"]:
        out.append(f"<h3>{tr('ui.sec_photos')}</h3>")
        for p in i["photos"]:
            out.append(f"<img src='photo:{p['sha256']}' width='160'> ")  # decrypted by InspectionView
    return "\n".join(out)


class InspectionView(QDialog):
    def __init__(self, session: Session, inspection_id: str, parent=None):
        super().__init__(parent)
        self.setObjectName("inspection_view")
        self.setWindowTitle(session.tr("ui.inspection"))
        self.resize(720, 640)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setLayoutDirection(Qt.RightToLeft if session.tr.rtl else Qt.LeftToRight)
        self._add_photos(session, inspection_id)
        self.browser.setHtml(f"<div dir='{'rtl' if session.tr.rtl else 'ltr'}'>{inspection_html(session, inspection_id)}</div>")
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _add_photos(self, session: Session, inspection_id: str) -> None:
        """The photos as the document's images, read (and decrypted, and checked) from the store:
        an encrypted commune's files cannot be shown by their path."""
        for p in get_inspection(session.store, inspection_id)["photos"]:
            try:
                image = QImage.fromData(session.store.attachments.read(p["sha256"]))
            except StoreError:
                continue  # missing or damaged: an empty frame (``check`` names it)
            self.browser.document().addResource(QTextDocument.ImageResource, QUrl(f"photo:{p['sha256']}"), image)
