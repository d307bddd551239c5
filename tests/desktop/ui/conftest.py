import pytest

from desktop.i18n import Translator
from desktop.settings import Settings


@pytest.fixture
def make_session(store, catalogue, tmp_path):
    from desktop.ui.session import Session

    from desktop.services.commune import Commune

    def make(user, lang="fr"):
        commune = Commune(store.path, store, catalogue, user=user)
        return Session(commune, Translator(lang), Settings(tmp_path / "settings.json"))
    return make


@pytest.fixture
def session(make_session, officer):
    return make_session(officer)
