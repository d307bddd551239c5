"""Counted nouns in Arabic and French: «ثمانية (8) أيام», «يومين», «15 يوما», «5 طاولات».

Arabic number–noun agreement: 1 and 2 take the singular and the dual (the number word follows the
noun); 3 to 10 take the plural, the number word taking the opposite gender of the noun's singular;
11 to 99 take the singular in the accusative («يوما»); round hundreds and thousands take the
singular in the genitive («مائة يوم»). Digits are kept in brackets after a spelled-out number so
that a reader can check it.
"""
from __future__ import annotations

from dataclasses import dataclass

from reports.numbers import grouped


@dataclass(frozen=True)
class Noun:
    singular: str     # «يوم»
    dual: str         # «يومين» (oblique case: after a preposition or «أجل»)
    plural: str       # «أيام»
    accusative: str   # «يوما» (tamyiz after 11–99)
    feminine: bool    # gender of the singular
    fr_one: str = ""
    fr_many: str = ""


NOUNS: dict[str, Noun] = {
    "days": Noun("يوم", "يومين", "أيام", "يوما", False, "jour", "jours"),
    "tables": Noun("طاولة", "طاولتين", "طاولات", "طاولة", True, "table", "tables"),
    "floors": Noun("طابق", "طابقين", "طوابق", "طابقا", False, "étage", "étages"),
    "months": Noun("شهر", "شهرين", "أشهر", "شهرا", False, "mois", "mois"),
    "decisions": Noun("قرار", "قرارين", "قرارات", "قرارا", False, "arrêté", "arrêtés"),
    "notices": Noun("إعذار", "إعذارين", "إعذارات", "إعذارا", False, "mise en demeure", "mises en demeure"),
    "letters": Noun("مراسلة", "مراسلتين", "مراسلات", "مراسلة", True, "lettre", "lettres"),
    "officers": Noun("عون", "عونين", "أعوان", "عونا", False, "agent", "agents"),
    "inspections": Noun("مراقبة", "مراقبتين", "مراقبات", "مراقبة", True, "contrôle", "contrôles"),
    "cases": Noun("ملف مخالفة", "ملفي مخالفة", "ملفات مخالفة", "ملف مخالفة", False, "dossier", "dossiers"),
    "complaints": Noun("شكاية", "شكايتين", "شكايات", "شكاية", True, "plainte", "plaintes"),
}
# 3..10, form used with a masculine noun (feminine-looking) and with a feminine noun.
_WORDS_M = {3: "ثلاثة", 4: "أربعة", 5: "خمسة", 6: "ستة", 7: "سبعة", 8: "ثمانية", 9: "تسعة", 10: "عشرة"}
_WORDS_F = {3: "ثلاث", 4: "أربع", 5: "خمس", 6: "ست", 7: "سبع", 8: "ثماني", 9: "تسع", 10: "عشر"}


def count_ar(n: int, noun: str, spelled: bool = True) -> str:
    """``n`` ``noun``s in Arabic, the noun agreeing with the number. ``spelled`` writes 3–10 in
    words with the digits in brackets («ثمانية (8) أيام»); otherwise digits («8 أيام»)."""
    w = NOUNS[noun]
    if n == 0:
        return f"0 {w.singular}"
    if n == 1:
        return f"{w.singular} {'واحدة' if w.feminine else 'واحد'}" if spelled else f"1 {w.singular}"
    if n == 2:
        return w.dual if spelled else f"2 {w.dual}"
    if 3 <= n <= 10:
        word = (_WORDS_F if w.feminine else _WORDS_M)[n]
        return f"{word} ({n}) {w.plural}" if spelled else f"{n} {w.plural}"
    if n % 100 in (0, 1, 2) and n >= 100:
        return f"{grouped(n)} {w.singular}"
    if n % 100 <= 10 and n > 100:
        return f"{grouped(n)} {w.plural}"
    return f"{grouped(n)} {w.accusative}"


def count_fr(n: int, noun: str) -> str:
    w = NOUNS[noun]
    return f"{grouped(n)} {w.fr_one if n in (0, 1) else w.fr_many}"


def count(n: int, noun: str, lang: str, spelled: bool = True) -> str:
    return count_ar(n, noun, spelled) if lang == "ar" else count_fr(n, noun)
