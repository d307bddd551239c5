"""Planning a weekly programme: brigades of two officers of each district, and its target."""
from __future__ import annotations

from datetime import date, timedelta

from desktop.services.commune import Commune
from desktop.store.programmes import Brigade, ProgrammeInput, create_programme

WORKING_DAYS = 6          # Monday to Saturday
VISITS_PER_BRIGADE_DAY = 4


def pair_brigades(commune: Commune, districts: list[str], start: date) -> list[Brigade]:
    """Officers of each district paired two by two (in username order), every working day of
    the week; an odd officer out is left for the coordinator to place."""
    officers = commune.store.query(
        "SELECT id, district_id FROM [user] WHERE role = 'officer' AND active = 1 AND deleted_at IS NULL"
        " ORDER BY username")
    brigades = []
    for district_id in districts:
        members = [o["id"] for o in officers if o["district_id"] == district_id]
        for k in range(0, len(members) - 1, 2):
            for d in range(WORKING_DAYS):
                brigades.append(Brigade(start + timedelta(days=d), members[k], members[k + 1], district_id))
    return brigades


def plan_weekly_programme(commune: Commune, title: str, kind: str, start: date, districts: list[str],
                          fields: list[str], agreed_with: str = "", theme: str = "") -> str:
    """Create a week's programme with its brigades and its target of visits."""
    brigades = pair_brigades(commune, districts, start)
    inp = ProgrammeInput(title, kind, start, start + timedelta(days=WORKING_DAYS - 1), districts, fields, brigades,
                         target_visits=len(brigades) * VISITS_PER_BRIGADE_DAY, agreed_with=agreed_with,
                         agreed_on=date.today(), theme=theme)
    return create_programme(commune.store, commune.actor, inp)
