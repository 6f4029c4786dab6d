"""Folding for search (domain.md "Language"): word by word, the same as the whole text at once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.text import fold, fold_whole

# Vietnamese letters and marks, the whitespace `str.split` splits on, and the characters whose
# folding is odd: a spacing diaeresis, a dotted capital I that lowers to two
# characters, Greek capital sigma (final or not by what follows it), lone combining marks.
ODD = "ĐđƯươờệẫ \t\n\x1c\x85\u3000\u00a8İΣΑσ\u0301\u0308\u200bẞ"
TEXTS = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(ODD), max_size=40)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Đức  Dũng", "nguyen duc dung"),
        ("  72/183 phố Huỳnh Văn Bánh ", "72/183 pho huynh van banh"),
        ("ΟΔΟΣ ΑΣ", "οδος ας"),
        ("\u0301 x", "x"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_known_texts(text: str | None, folded: str) -> None:
    assert fold(text) == folded


@given(TEXTS)
def test_fold_word_by_word_equals_whole_text(text: str) -> None:
    assert fold(text) == fold_whole(text)
