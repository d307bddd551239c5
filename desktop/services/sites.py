"""The site registry's corrections: a site's name, activity, owner and authorisations."""
from __future__ import annotations

from desktop.domain.auth import require
from desktop.domain.model import SiteInput
from desktop.domain.validation import ValidationFailed, site_problems
from desktop.services.commune import Commune
from desktop.store.errors import StoreError
from desktop.store.sites import get_site, update_site


def site_input(site: dict) -> SiteInput:
    """A stored site as the form's input (for the edit dialog), without a new authorisation."""
    return SiteInput(**{k: site[k] or "" for k in ("kind", "name", "address", "activity", "owner_name",
                                                    "owner_id_kind", "owner_id_number")})


def edit_site(commune: Commune, site_id: str, site: SiteInput) -> None:
    """Correct a site (coordinator, administrator): checked as a new site is, journaled."""
    require(commune.actor.role, "site.edit")
    if get_site(commune.store, site_id) is None:
        raise StoreError("record_missing", f"site {site_id}")
    problems = site_problems(site)
    if problems:
        raise ValidationFailed(problems)
    with commune.store.transaction(commune.actor.id) as tx:
        update_site(tx, site_id, site)
