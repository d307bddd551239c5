"""Choosing a site moves the point to it; a point in one district is never stored with another."""
from dataclasses import replace

import pytest

from desktop.domain.validation import ValidationFailed
from desktop.store.inspections import get_inspection, submit_inspection, validation_context
from desktop.ui.inspection_form import InspectionForm
from tests.desktop.ui.test_inspection_form import fill_valid


def test_choosing_a_site_moves_a_far_point_and_its_district(qtbot, session, store):
    form = InspectionForm(session)
    qtbot.addWidget(form)
    site = store.query("SELECT id, district_id FROM site WHERE kind = 'establishment' AND owner_id_kind = 'cin' LIMIT 1")[0]
    # The complaint's point: a site of another district, kilometres away.
    far = store.query("SELECT lon, lat, district_id FROM site WHERE district_id != ? LIMIT 1", (site["district_id"],))[0]
    form.set_location(far["lon"], far["lat"])
    assert form.district.currentData() == far["district_id"]
    chosen = fill_valid(qtbot, form, store)
    assert (float(form.lon.text()), float(form.lat.text())) == pytest.approx((chosen["lon"], chosen["lat"]), abs=1e-6)
    located = session.locator.locate(chosen["lon"], chosen["lat"])
    assert form.district.currentData() == located != far["district_id"]
    note = form.location_section.note
    assert note.isVisibleTo(form) and "km" in note.text()
    form.outcome.setCurrentIndex(form.outcome.findData("compliant"))
    with qtbot.waitSignal(form.submitted) as sig:
        form.submit()
    got = get_inspection(store, sig.args[0])
    assert session.locator.locate(got["lon"], got["lat"]) == got["district_id"]


def test_a_district_that_is_not_the_points_is_refused(store, session, valid_input, catalogue):
    other = store.scalar("SELECT id FROM district WHERE id != ? LIMIT 1", (valid_input.district_id,))
    ctx = validation_context(store, session.locator)
    assert session.locator.locate(valid_input.lon, valid_input.lat) == valid_input.district_id
    with pytest.raises(ValidationFailed) as err:
        submit_inspection(store, session.user, replace(valid_input, district_id=other), catalogue, ctx=ctx)
    assert ("district", "district_not_at_point") in [(p.field, p.code) for p in err.value.problems]
    assert submit_inspection(store, session.user, valid_input, catalogue, ctx=ctx)  # the matching one passes
