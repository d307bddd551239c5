"""``any_hidden_characters`` (one scan of many texts) answers as ``has_hidden_characters`` on each."""
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.domain.text import any_hidden_characters, has_hidden_characters

_chars = st.sampled_from(["a", "é", "\n", "\r", "\t", " ", "\x00", "\x07", "\x7f", "\u202e", "\u2066", "\u2069",
                          "\u206a", "\u2029", "ب"])


@settings(max_examples=500)
@given(st.lists(st.text(_chars, max_size=6), max_size=5))
def test_one_scan_of_many_texts_finds_what_each_scan_finds(texts):
    assert any_hidden_characters(texts) == any(has_hidden_characters(t) for t in texts)
