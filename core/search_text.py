"""Text as people type it into a search box: Vietnamese without its marks.

Many users type "thue" for "thuế" and "dang ky" for "đăng ký" (no Telex or VNI at hand, or a phone). A
searchable row keeps a folded copy of its text; the query is folded the same way, so a search matches with
or without diacritics and in any case, on PostgreSQL and SQLite alike (no `unaccent` extension needed).
"""

import unicodedata

# đ is a letter of its own, not d with a combining mark: NFD leaves it whole.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """`text` lowercased, without diacritics and with spaces collapsed: "Thuế  GTGT" -> "thue gtgt"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    bare = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(bare.lower().split())
