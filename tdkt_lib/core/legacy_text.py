"""Vietnamese text typed in legacy 8-bit encodings (TCVN3/ABC, VNI Windows), converted only when certain.

Old files typed with .VnTime (TCVN3, TCVN 5712:1993 VN3) or VNI-Times fonts store Vietnamese
letters as bytes 0xA1–0xFE, which any modern program shows as Latin-1/cp1252 text:
"Së Giao th«ng vËn t¶i" (TCVN3) or "Sôû Giao thoâng vaän taûi" (VNI) for "Sở Giao thông vận tải".

`detect` converts such a text to Unicode NFC only when every signal agrees: no genuine
Vietnamese Unicode letter, the text is not itself plausible Vietnamese, it decodes completely
under exactly one table, and every decoded word is a valid Vietnamese syllable. Otherwise it
leaves the text alone and says whether it looked suspicious. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

TCVN3 = "TCVN3"
VNI = "VNI"
LABELS = {TCVN3: "TCVN3 (phông .VnTime, bảng mã ABC)", VNI: "VNI Windows (phông VNI-Times)"}

# Tone marks in the order of the VN3 table (huyền, hỏi, ngã, sắc, nặng).
GRAVE, HOOK, TILDE, ACUTE, DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
TONES = (GRAVE, HOOK, TILDE, ACUTE, DOT)
_MODIFIERS = {"\u0302", "\u0306", "\u031b"}   # circumflex, breve, horn: part of the letter, not the tone

_VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")


def _with_tone(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


def vietnamese_letters() -> list[str]:
    """The 134 precomposed Vietnamese letters that are not plain ASCII (67 lower-case, 67 capitals)."""
    lower = [_with_tone(v, t) for v in _VOWELS for t in ("", *TONES)] + ["đ"]
    lower = [ch for ch in lower if not ch.isascii()]
    return lower + [ch.upper() for ch in lower]


# --- TCVN3 (TCVN 5712:1993, VN3 subset used by the ABC .VnTime fonts) ----------------------
# Byte of each toned lower-case vowel, tones in the order huyền, hỏi, ngã, sắc, nặng.
_TCVN3_TONED = {
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
# Letters without tone: capitals Ă Â Ê Ô Ơ Ư Đ at 0xA1–0xA7, small ones at 0xA8–0xAE.
_TCVN3_PLAIN = dict(zip("ĂÂÊÔƠƯĐăâêôơưđ", range(0xA1, 0xAF), strict=True))


def _tcvn3_table() -> dict[str, str]:
    """Legacy character (as Latin-1 text) → Unicode letter."""
    table = {chr(code): letter for letter, code in _TCVN3_PLAIN.items()}
    for vowel, codes in _TCVN3_TONED.items():
        for tone, code in zip(TONES, codes, strict=True):
            table[chr(code)] = _with_tone(vowel, tone)
    return table


# --- VNI Windows: a base letter followed by accent characters ------------------------------
# Lower-case accent bytes; capitals use the byte 0x20 lower (Ø for ø, Â for â, ...).
_VNI_TONE = dict(zip(TONES, (0xF8, 0xFB, 0xF5, 0xF9, 0xEF), strict=True))       # ø û õ ù ï
_VNI_CIRCUMFLEX = (0xE2, dict(zip(TONES, (0xE0, 0xE5, 0xE3, 0xE1, 0xE4), strict=True)))  # â; à å ã á ä
_VNI_BREVE = (0xEA, dict(zip(TONES, (0xE8, 0xFA, 0xFC, 0xE9, 0xEB), strict=True)))       # ê; è ú ü é ë
# Letters VNI writes as one byte: ơ ư đ, the toned i's and ỵ.
_VNI_SINGLE = {"ơ": 0xF4, "ư": 0xF6, "đ": 0xF1, "ỵ": 0xEE,
               _with_tone("i", GRAVE): 0xEC, _with_tone("i", HOOK): 0xE6, _with_tone("i", TILDE): 0xF3,
               _with_tone("i", ACUTE): 0xED, _with_tone("i", DOT): 0xF2}


def _vni_lower() -> dict[str, str]:
    """Unicode lower-case letter → VNI text (as Latin-1 characters)."""
    table: dict[str, str] = {letter: chr(code) for letter, code in _VNI_SINGLE.items()}
    for vowel in "aeouy":
        for tone, code in _VNI_TONE.items():
            table.setdefault(_with_tone(vowel, tone), vowel + chr(code))
    for vowel, (plain, toned), mark in (("a", _VNI_CIRCUMFLEX, "\u0302"), ("e", _VNI_CIRCUMFLEX, "\u0302"),
                                        ("o", _VNI_CIRCUMFLEX, "\u0302"), ("a", _VNI_BREVE, "\u0306")):
        letter = _with_tone(vowel, mark)
        table[letter] = vowel + chr(plain)
        for tone, code in toned.items():
            table[_with_tone(letter, tone)] = vowel + chr(code)
    for vowel in "ơư":
        for tone, code in _VNI_TONE.items():
            table[_with_tone(vowel, tone)] = chr(_VNI_SINGLE[vowel]) + chr(code)
    return table


def _vni_table() -> dict[str, str]:
    """VNI text (1 or 2 Latin-1 characters) → Unicode letter, capitals included."""
    out: dict[str, str] = {}
    for letter, text in _vni_lower().items():
        out[text] = letter
        out["".join(ch.upper() if ch.isascii() else chr(ord(ch) - 0x20) for ch in text)] = letter.upper()
    return out


_LETTERS = frozenset(vietnamese_letters())
TCVN3_DECODE = _tcvn3_table()
VNI_DECODE = _vni_table()
TCVN3_ENCODE = {v: k for k, v in TCVN3_DECODE.items()}
VNI_ENCODE = {v: k for k, v in VNI_DECODE.items()}


def encode(text: str, encoding: str) -> str:
    """Unicode → legacy text as Latin-1 characters (for tests and examples).

    TCVN3 has no toned capitals: like the .VnTimeH fonts, they are written with the
    lower-case code. Raises ValueError for characters the table cannot write.
    """
    table = TCVN3_ENCODE if encoding == TCVN3 else VNI_ENCODE
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii():
            out.append(ch)
        elif ch in table:
            out.append(table[ch])
        elif encoding == TCVN3 and ch.lower() in table:
            out.append(table[ch.lower()])
        else:
            raise ValueError(f"{ch!r} cannot be written in {encoding}")
    return "".join(out)


def _decode_tcvn3(text: str) -> str | None:
    out = []
    for ch in text:
        if ord(ch) < 0x80 or ch == "\u00a0":
            out.append(ch)
        elif ch in TCVN3_DECODE:
            out.append(TCVN3_DECODE[ch])
        elif _is_punctuation(ch):
            out.append(ch)
        else:
            return None
    return _tcvn3_capitals("".join(out), text)


def _tcvn3_capitals(decoded: str, original: str) -> str:
    """Words typed in capitals with a .VnTimeH font carry lower-case codes: make them capitals."""
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        start = match.start()
        source = original[start:start + len(word)]
        ascii_letters = [c for c in source if c.isascii() and c.isalpha()]
        if ascii_letters and all(c.isupper() for c in ascii_letters) and (
            len(ascii_letters) >= 2 or not (source[0].isascii() and source[0].isupper())
        ):
            return word.upper()
        return word

    letters = [c for c in original if c.isascii() and c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return decoded.upper()      # the whole text in capitals
    return _WORD.sub(fix, decoded)


def _decode_vni(text: str) -> str | None:
    out = []
    i = 0
    while i < len(text):
        pair = text[i:i + 2]
        if len(pair) == 2 and pair in VNI_DECODE:
            out.append(VNI_DECODE[pair])
            i += 2
            continue
        ch = text[i]
        if ch in VNI_DECODE:
            out.append(VNI_DECODE[ch])
        elif ord(ch) < 0x80 or ch == "\u00a0" or _is_punctuation(ch):
            out.append(ch)
        else:
            return None
        i += 1
    return "".join(out)


# cp1252 punctuation Windows programs put in names (quotes, dashes, bullets): neutral.
_NEUTRAL = set("\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u2022")


def _is_punctuation(ch: str) -> bool:
    return ch in _NEUTRAL


# --- Vietnamese syllables -------------------------------------------------------------------
_INITIALS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
             "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
_RHYMES = frozenset(line for row in """
a ai ao au ay ac ach ak am an ang anh ap at
ăc ăk ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e ec em en eng eo ep et
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
o oc oi om on ong op ot oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt
oe oen oet oeo ooc oong
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uân uâng uât uây uc ui um un ung up ut uê uêch uênh uy uya uych uyên uyêt uynh uyt uyu
uôc uôi uôm uôn uông uôt uơ
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yêm yên yêt yêu
""".splitlines() for line in row.split())
_STOP_FINALS = ("c", "ch", "k", "p", "t")
_WORD = re.compile(r"[^\W\d_]+")


def is_syllable(word: str) -> bool:
    """True when `word` is a well-formed Vietnamese syllable (initial + rhyme + tone)."""
    word = unicodedata.normalize("NFC", word)
    if not all((ch.isascii() and ch.isalpha()) or ch in _LETTERS for ch in word):
        return False
    text = unicodedata.normalize("NFD", word.lower())
    tones = [ch for ch in text if ch in TONES]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in text if ch not in TONES))
    if any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", bare) if ch not in _MODIFIERS):
        return False
    for initial in _INITIALS:
        if not bare.startswith(initial):
            continue
        rhyme = bare[len(initial):]
        if rhyme in _RHYMES or (initial == "gi" and (rhyme == "" or "i" + rhyme in _RHYMES)):
            if tones and rhyme.endswith(_STOP_FINALS) and tones[0] not in (ACUTE, DOT):
                continue
            if not tones and rhyme.endswith(_STOP_FINALS):
                continue
            return True
    return False


# --- detection ------------------------------------------------------------------------------
_VI_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")


def _genuine_vietnamese(text: str) -> bool:
    """A Vietnamese letter only Unicode has (ă, đ, ơ, ư, ạ…) or a combining mark (NFD text)."""
    return any(ord(ch) > 0xFF and (ch.isalpha() or unicodedata.combining(ch)) for ch in text)


def _words_valid(text: str, only_non_ascii: bool = True) -> bool:
    words = [w for w in _WORD.findall(text) if not only_non_ascii or not w.isascii()]
    return bool(words) and all(is_syllable(w) for w in words)


@dataclass(frozen=True)
class Detection:
    """What `detect` found. `status`: "plain" (nothing to do), "converted" or "uncertain"."""

    status: str
    text: str
    encoding: str | None = None
    reason: str = ""


def detect(text: str) -> Detection:
    """Convert `text` from TCVN3 or VNI to Unicode NFC when certain; otherwise leave it."""
    if text.isascii():
        return Detection("plain", text)
    high = [ch for ch in text if 0x80 <= ord(ch) <= 0xFF and ch != "\u00a0"]
    if not high:
        return Detection("plain", text)
    legacy_only = [ch for ch in high if ch not in _VI_LATIN1 and not _is_punctuation(ch)]
    if _genuine_vietnamese(text):
        if legacy_only:
            return Detection("uncertain", text, None, "vừa có chữ tiếng Việt Unicode vừa có ký tự của bảng mã cũ")
        return Detection("plain", text)
    if _words_valid(text):
        return Detection("plain", text)   # already plausible Vietnamese (Lê, Tô, Cà)
    candidates = {}
    for encoding, decode in ((TCVN3, _decode_tcvn3), (VNI, _decode_vni)):
        decoded = decode(text)
        if decoded is not None and decoded != text and _words_valid(decoded):
            candidates[encoding] = unicodedata.normalize("NFC", decoded)
    if len(candidates) == 1:
        (encoding, decoded), = candidates.items()
        return Detection("converted", decoded, encoding)
    if len(candidates) > 1 and len(set(candidates.values())) == 1:
        return Detection("uncertain", text, None, "đọc được theo cả TCVN3 và VNI")
    if len(candidates) > 1:
        return Detection("uncertain", text, None, "đọc được theo cả TCVN3 và VNI với kết quả khác nhau")
    return Detection("plain", text)
