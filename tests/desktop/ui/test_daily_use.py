"""Smaller stumbles of daily use: the status bar after a language switch, where the certificate
dialog opens, the names files are saved under, every message without raw placeholders."""
import json
import re
import string
from pathlib import Path

from PySide6.QtWidgets import QLabel

from desktop.store.users import authenticate
from desktop.ui.document_view import certificate_folder, decision_file_name

ROOT = Path(__file__).resolve().parents[3]


def test_language_switch_keeps_one_user_label_and_the_page(qtbot, make_session, store):
    from desktop.ui.main_window import CASES_ROW, MainWindow
    window = MainWindow(make_session(authenticate(store, "coordinateur", "coord-demo"), "ar"))
    qtbot.addWidget(window)
    window.nav.setCurrentRow(CASES_ROW)
    window.switch_language("fr")
    window.switch_language("ar")
    window.switch_language("fr")
    labels = [w for w in window.statusBar().findChildren(QLabel) if w.objectName() == "status_user"]
    assert len(labels) == 1
    assert window.session.tr.enum("role", "coordinator") in labels[0].text()
    assert window.nav.currentRow() == CASES_ROW  # the page the user was on


def test_certificate_dialog_opens_beside_the_database_then_where_last_used(make_session, store, tmp_path, demo_path):
    session = make_session(authenticate(store, "president", "president-demo"))
    assert certificate_folder(session) == str(demo_path.with_name(demo_path.name + ".certs"))
    session.settings["last_certificate_dir"] = str(tmp_path)
    assert certificate_folder(session) == str(tmp_path)


def test_signed_decision_file_name(make_session, store):
    session = make_session(authenticate(store, "president", "president-demo"))
    signed = store.query("SELECT id, kind, number, year FROM decision WHERE number IS NOT NULL LIMIT 1")[0]
    assert decision_file_name(session, signed["id"]) == f"{signed['kind']}-{signed['number']}-{signed['year']}.pdf"


def test_every_message_renders_without_raw_placeholders():
    """Each message, in both languages, formatted with its own named parameters, leaves no
    "{0}" or "{name}" behind, and both languages ask for the same parameters."""
    messages = json.loads((ROOT / "resources/i18n/messages.json").read_text(encoding="utf-8"))
    bad = []
    for key, texts in messages.items():
        fields = {}
        for lang, text in texts.items():
            names = {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}
            fields[lang] = names
            values = {n: "X" for n in names if n and not n.isdigit()}
            positional = ["X"] * (max((int(n) for n in names if n.isdigit()), default=-1) + 1)
            try:
                shown = text.format(*positional, **values) if "" not in names else text.format("X", **values)
            except (KeyError, IndexError, ValueError) as exc:
                bad.append((key, lang, repr(exc)))
                continue
            if re.search(r"\{\w*\}", shown):
                bad.append((key, lang, shown))
        if len(set(map(frozenset, fields.values()))) > 1:
            bad.append((key, "ar≠fr", fields))
    assert bad == []


def _ink_left(widget) -> int:
    image = widget.viewport().grab().toImage()
    return min(x for x in range(image.width()) for y in range(3, 25) if image.pixelColor(x, y).lightness() < 100)


def test_arabic_typed_in_the_visit_notes_is_right_aligned(qtbot, qapp, make_session, officer):
    from PySide6.QtCore import Qt

    from desktop.ui.inspection_form import InspectionForm
    qapp.setLayoutDirection(Qt.RightToLeft)
    try:
        form = InspectionForm(make_session(officer, "ar"))
        qtbot.addWidget(form)
        form.show()
        notes = form.notes
        notes.setPlainText("المحل مغلق")
        qtbot.wait(10)
        width = notes.viewport().width()
        assert _ink_left(notes) > width / 2  # the text sits on the right
        notes.setPlainText("Fermé le lundi")
        qtbot.wait(10)
        assert _ink_left(notes) < width / 4  # French stays on the left
    finally:
        qapp.setLayoutDirection(Qt.LeftToRight)


def test_each_role_has_its_guide_in_both_languages(qtbot, make_session, store):
    from PySide6.QtGui import QKeySequence

    from desktop.ui.help_dialog import GUIDES, guides
    from desktop.ui.main_window import MainWindow
    assert set(guides()) == set(GUIDES)
    for role_guide in GUIDES:
        assert guides()[role_guide]["fr"].count("<h3>") >= 2 and guides()[role_guide]["ar"].count("<h3>") >= 2
    for username, password, lang, expected in (("agent001", "agent-demo", "ar", "دليل عون الشرطة الإدارية"),
                                               ("coordinateur", "coord-demo", "fr", "Guide du coordinateur"),
                                               ("president", "president-demo", "fr", "Guide du président")):
        window = MainWindow(make_session(authenticate(store, username, password), lang))
        qtbot.addWidget(window)
        actions = [a for m in window.menuBar().actions() for a in m.menu().actions()]
        [guide_action] = [a for a in actions if a.text() == window.session.tr("ui.user_guide")]
        assert guide_action.shortcut() == QKeySequence(QKeySequence.HelpContents)  # F1 from any page
        dialog = window.show_guide(modal=False)
        qtbot.addWidget(dialog)
        assert expected in dialog.text.toPlainText()


def test_form_warns_of_unanswered_items_and_the_missing_officer_then_says_which_case(qtbot, make_session, store, officer):
    from desktop.ui.main_window import MainWindow
    from tests.desktop.ui.test_inspection_form import fill_valid, pick
    window = MainWindow(make_session(officer))
    qtbot.addWidget(window)
    window.new_inspection()
    form = window.forms[-1]
    fill_valid(qtbot, form, store)
    total = len(form.checklist.combos)
    assert total > 1
    assert form.quality_note.text() == (f"{total} point(s) sur {total} de la liste de contrôle sans réponse"
                                        " · Pas de second agent (les brigades sont de deux)")
    pick(form.checklist.combos["DOM-C05"], "no")
    assert form.quality_note.text().startswith(f"{total - 1} point(s) sur {total}")
    colleague = next(i for i in range(1, form.visit_section.second.count())
                     if form.visit_section.second.itemData(i) != form.visit_section.lead.currentData())
    form.visit_section.second.setCurrentIndex(colleague)
    assert "second agent" not in form.quality_note.text()
    qtbot.keyClicks(form.finding_rows[0].measure, "4")
    with qtbot.waitSignal(form.submitted) as sig:
        form.submit()
    text = window.statusBar().currentMessage()
    from desktop.services.visits import inspection_case
    case = inspection_case(store, sig.args[0])
    assert case is not None and case["step"]
    assert text.startswith("Contrôle ajouté au dossier") and window.session.tr(f"step.{case['step']}") in text


def test_a_second_copy_on_the_same_database_is_noticed(tmp_path):
    import subprocess
    import sys

    from desktop.ui.app import claim_database
    db = tmp_path / "commune.sqlite"
    db.write_bytes(b"")
    # Another running copy (another process) holds the lock.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom PySide6.QtCore import QLockFile\n"
        f"lock = QLockFile({str(db) + '.lock'!r}); assert lock.tryLock(100); print('locked', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert claim_database(db) is None
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    mine = claim_database(db)  # the copy that ended (even killed) no longer blocks
    assert mine is not None
    mine.unlock()


def test_inspection_detail_in_arabic_has_labels_on_the_right_and_no_uuid(make_session, store, officer):
    from desktop.ui.inspection_view import inspection_html
    iid = store.scalar("SELECT id FROM inspection WHERE lat IS NOT NULL LIMIT 1")
    ar = inspection_html(make_session(officer, "ar"), iid)
    fr = inspection_html(make_session(officer, "fr"), iid)
    assert iid not in ar and iid not in fr and iid[:8].upper() in ar
    first_row = ar.split("<tr>")[1]
    assert first_row.index("التاريخ") > first_row.index("</td>")  # the label is the last (right-hand) cell
    assert fr.split("<tr>")[1].index("Date") < fr.split("<tr>")[1].index("</td>")
    assert "\u2066" in ar  # the coordinates are one left-to-right run


def test_a_greyed_launch_button_says_why(qtbot, make_session, store):
    from desktop.ui.complaint_dialog import ComplaintDialog
    complaint = store.scalar("SELECT id FROM complaint WHERE status = 'accepted' LIMIT 1")
    president = make_session(authenticate(store, "president", "president-demo"))
    dialog = ComplaintDialog(president, complaint)
    qtbot.addWidget(dialog)
    button = dialog.buttons["cp.inspect"]
    assert not button.isEnabled() and "coordinateur" in button.toolTip()
    coordinator = make_session(authenticate(store, "coordinateur", "coord-demo"))
    dialog = ComplaintDialog(coordinator, complaint)
    qtbot.addWidget(dialog)
    assert dialog.buttons["cp.inspect"].isEnabled() and dialog.buttons["cp.inspect"].toolTip() == ""


def test_every_page_fits_a_1600_pixel_screen_in_french(qtbot, make_session, store):
    from desktop.ui.main_window import MainWindow
    window = MainWindow(make_session(authenticate(store, "coordinateur", "coord-demo"), "fr"))
    qtbot.addWidget(window)
    for row in range(window.nav.count()):
        window.nav.setCurrentRow(row)
    assert window.minimumSizeHint().width() <= 1500, window.minimumSizeHint().width()
