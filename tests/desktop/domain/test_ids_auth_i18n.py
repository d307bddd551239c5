import json
import time
import uuid

import pytest

import resources
from desktop.domain.auth import can, hash_password, verify_password
from desktop.domain.ids import local_display, uuid7, uuid7_time_ms
from desktop.i18n import Translator


def test_uuid7_is_version_7_sortable_and_dated():
    ids = [uuid7() for _ in range(2000)]
    assert len(set(ids)) == 2000
    assert ids == sorted(ids)
    u = uuid.UUID(ids[0])
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert abs(uuid7_time_ms(ids[0]) - time.time() * 1000) < 5000
    assert uuid7_time_ms(uuid7(at_ms=1_700_000_000_123)) == 1_700_000_000_123


def test_times_are_shown_in_casablanca():
    # 2026-01-15 is outside Ramadan: Morocco is UTC+1.
    assert local_display("2026-01-15T09:00:00Z") == "2026-01-15 10:00"


def test_password_hash_round_trip_and_salted():
    h1, h2 = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert h1 != h2 and h1.startswith("$argon2id$")
    assert verify_password("s3cret-pass", h1)
    assert not verify_password("wrong", h1)
    assert not verify_password("s3cret-pass", "garbage")


def test_reviewer_cannot_write_and_officer_can_log():
    assert not can("reviewer", "inspection.create")
    assert can("officer", "inspection.create")
    assert not can("officer", "user.manage")


def test_every_message_has_arabic_and_french():
    messages = json.loads(resources.path("i18n", "messages.json").read_text(encoding="utf-8"))
    missing = [k for k, v in messages.items() if not v.get("ar") or not v.get("fr")]
    assert missing == []


def test_translator_formats_and_falls_back():
    ar, fr = Translator("ar"), Translator("fr")
    assert ar.rtl and not fr.rtl
    assert "25" in fr("store.photo_too_large", size_mb=30, max_mb=25)
    assert ar.enum("outcome", "closed") == "المحل مغلق"
    assert fr("no.such.key") == "no.such.key"
    with pytest.raises(ValueError):
        Translator("en")


def test_days_agree_with_their_number_in_arabic():
    from desktop.i18n import Translator, days_count
    assert [days_count(n, "ar") for n in (1, 2, 3, 9, 10, 11, 57, 100, 103, 112)] == [
        "يوم واحد", "يومان", "3 أيام", "9 أيام", "10 أيام", "11 يوما", "57 يوما", "100 يوم", "103 أيام", "112 يوما"]
    assert days_count(9, "fr") == "9"
    assert Translator("ar")("case.days_late", n=days_count(9, "ar")) == "تأخير 9 أيام"
    assert Translator("fr")("case.days_late", n=days_count(9, "fr")) == "9 j de retard"
