"""Arabic counted nouns agree with their number (one function for every document)."""
import pytest

from reports.counting import count, count_ar


@pytest.mark.parametrize("n, noun, expected", [
    (1, "days", "يوم واحد"), (2, "days", "يومين"), (3, "days", "ثلاثة (3) أيام"), (8, "days", "ثمانية (8) أيام"),
    (10, "days", "عشرة (10) أيام"), (11, "days", "11 يوما"), (15, "days", "15 يوما"), (30, "days", "30 يوما"),
    (60, "days", "60 يوما"), (100, "days", "100 يوم"), (101, "days", "101 يوم"), (103, "days", "103 أيام"),
    (115, "days", "115 يوما"), (5, "tables", "خمس (5) طاولات"), (12, "tables", "12 طاولة"),
    (4, "floors", "أربعة (4) طوابق"), (11, "floors", "11 طابقا"), (1, "tables", "طاولة واحدة"),
])
def test_arabic_agreement(n, noun, expected):
    assert count_ar(n, noun) == expected


def test_digits_only_and_french():
    assert count_ar(5, "tables", spelled=False) == "5 طاولات"
    assert count_ar(4, "floors", spelled=False) == "4 طوابق"
    assert count_ar(20, "tables", spelled=False) == "20 طاولة"
    assert count(1, "days", "fr") == "1 jour" and count(8, "days", "fr") == "8 jours"


@pytest.mark.parametrize("n, noun, expected", [
    (0, "decisions", "0 قرار"), (2, "decisions", "قرارين"), (7, "decisions", "7 قرارات"), (12, "notices", "12 إعذارا"),
    (3, "letters", "3 مراسلات"), (1200, "decisions", "1\u00a0200 قرار"), (1205, "letters", "1\u00a0205 مراسلات"),
])
def test_register_nouns_and_grouped_digits(n, noun, expected):
    assert count_ar(n, noun, spelled=n == 2) == expected
    assert count(1200, "notices", "fr") == "1\u00a0200 mises en demeure"
