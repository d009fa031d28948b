"""split_to_fit against a plain definition of its packing.

The splitter tokenizes once, guesses with a Budget, gallops and bisects; none of that may change a part.
The reference below splits strings level by level with the levels' own patterns and packs one piece at a
time with no shortcut: the greedy packing split_to_fit promises, where counts grow with the text.
"""

from __future__ import annotations

import itertools
import random
import re

import pytest
import regex

from postwright.platforms import PLATFORMS
from postwright.split import Budget, PieceCounts, _Packer, split_to_fit

LEVELS = (
    re.compile(r"(?<=\n\n)(?!\n)"),  # paragraphs
    re.compile(r"(?<=\n)(?!\n)"),  # lines
    # sentences: Unicode's terminals in every script, the Greek question mark, Thai's space, CJK stops
    regex.compile(
        r"(?<=[…\p{STerm}])(?=\s)|(?<=\p{Greek}\p{M}*[;\u037e])(?=\s)|(?<=\p{Thai})(?=\s)|(?<=[。！？])"
    ),
    re.compile(r"(?<=\s)(?=\S)"),  # words
)
UNCUTTABLE = re.compile(r"^(?:https?://|www\.|@|#|＃)", re.IGNORECASE)

WORDS = [
    *["kite", "wind", "ветер", "باد", "لماذا؟", "風", "。", "！", "風。風", "a。b", "é", "e\u0301"],
    *["3.14", "a.b"],
    *["नमस्ते।", "दुनिया॥", "کیوں۔", "ہاں", "Ի՞նչ։", "ሰላም።", "τι;", "καλά", "สวัสดี", "ครับ", "မင်္ဂလာပါ။"],
    *["សួស្តី។", "a।b", "١.٢"],
    *["🪁", "👩‍👩‍👧", "🏳️‍🌈", "end.", "why?", "wow!", "so…", "…", ".", "1.", "- item"],
    *["https://example.com/a/long/path?q=1", "example.org", "www.example.com/x", "@jane@example.social"],
    *["@bob", "#KiteLife", "＃タグ", "x" * 90, "y" * 400],
]
SPACES = [" ", " ", " ", " ", "", "\n", "\n\n", "\n\n\n", "  ", " \n\n ", " \n ", "\t", "\u3000", "\xa0"]
SPACES += ["\r\n"]


def cut(word: str, fits) -> list[str]:
    """An over-long word cut between graphemes, one at a time, unless it is a link or a tag."""
    if UNCUTTABLE.match(word):
        return [word]
    parts: list[str] = []
    current = ""
    for grapheme in regex.findall(r"\X", word):
        if current and not fits(current + grapheme):
            parts.append(current)
            current = ""
        current += grapheme
    return [*parts, current]


def reference(text: str, fits) -> list[str]:
    """Greedy packing, one piece at a time, paragraph → line → sentence → word → grapheme."""

    def pack(text: str, level: int) -> list[str]:
        if fits(text.strip()):
            return [text.strip()]
        if level == len(LEVELS):
            return cut(text.strip(), fits)
        pieces = [piece for piece in LEVELS[level].split(text) if piece]
        parts: list[str] = []
        carry = ""
        for piece in pieces:
            if fits((carry + piece).strip()):
                carry += piece
            elif carry.strip():
                parts.append(carry.strip())
                carry = piece
                if not fits(piece.strip()):
                    smaller = pack(piece, level + 1)
                    parts += smaller[:-1]
                    carry = smaller[-1] + piece[len(piece.rstrip()) :]
            else:
                smaller = pack(piece, level + 1)
                parts += smaller[:-1]
                carry = smaller[-1] + piece[len(piece.rstrip()) :]
        if carry.strip():
            parts.append(carry.strip())
        return parts

    text = text.strip()
    return pack(text, 0) if text else []


def texts(
    seed: int, count: int, most: int = 300, spaces: list[str] = SPACES, words: list[str] = WORDS
) -> list[str]:
    """Words of every kind between every kind of space, some numbered as render numbers thread parts."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        text = "".join(rng.choice(words) + rng.choice(spaces) for _ in range(rng.randint(0, most)))
        made.append(text + "\n{index}/{total}" if rng.random() < 0.3 else text)
    return made


def judge(name: str, scale: float = 1.0, label: str = "\n9/9"):
    """A platform's fits (with room for a part number), scaled down to reach the finer levels, and its
    Budget."""
    measures = PLATFORMS[name].limits.measures
    limits = [max(8, int(measure.limit * scale)) for measure in measures]

    def fits(part: str) -> bool:
        return all(m.count(part + label) <= limit for m, limit in zip(measures, limits, strict=True))

    counts = tuple(PieceCounts(m.count).__getitem__ for m in measures)
    rooms = tuple(limit - m.count(label) for m, limit in zip(measures, limits, strict=True))
    return fits, Budget(counts, rooms)


def greedy(text: str, fits, budget: Budget | None = None) -> list[str]:
    """split_to_fit's parts before a tail is balanced."""
    text = text.strip()
    if not text or fits(text):
        return [text] if text else []
    return _Packer(text, fits, budget).parts()


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_split_to_fit_packs_like_the_plain_greedy_reference(name: str) -> None:
    for scale in (1.0, 0.3, 0.05):
        fits, budget = judge(name, scale)
        for text in texts(11, 12):
            expected = reference(text, fits)
            assert greedy(text, fits) == expected, text
            assert greedy(text, fits, budget) == expected, text


# Prose, mostly within lines, where a tail is common (the random texts above are mostly short lines)
PROSE = ["kite", "wind", "ветер", "باد", "風。", "é", "🪁", "end.", "why?", "नमस्ते।", "ሰላም።", "สวัสดี", "x" * 30]
PROSE += ["https://example.com/a/long/path?q=1", "@bob", "#KiteLife"]
PROSE_SPACES = [" "] * 12 + ["\n", "\n\n", "", "\u3000"]


def words(parts: list[str]) -> str:
    return re.sub(r"\s+", "", "".join(parts))


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_balancing_a_tail_loses_nothing_and_never_exceeds_a_limit(name: str) -> None:
    """Only the last two greedy parts change, into two non-empty parts that fit (where greedy's did), hold
    the same text in the same order, and have a larger smaller part than greedy's."""
    changed = 0
    for scale in (1.0, 0.3, 0.05):
        fits, budget = judge(name, scale)
        for text in texts(17, 30) + texts(19, 60, spaces=PROSE_SPACES, words=PROSE):
            packed, balanced = greedy(text, fits), split_to_fit(text, fits, budget)
            assert len(balanced) == len(packed), text
            assert balanced[:-2] == packed[:-2], text
            assert words(balanced) == words(packed) == re.sub(r"\s+", "", text), text
            assert all(part and part == part.strip() for part in balanced), text
            assert all(fits(part) for part in balanced[-2:]) or balanced == packed, text
            if balanced != packed:
                changed += 1
                assert min(map(len, balanced[-2:])) > len(packed[-1]), text
    assert changed or name in {"facebook", "telegram", "tiktok", "x"}  # (their random texts' tails are kept)


def test_a_wrong_budget_only_costs_questions_the_parts_are_the_same() -> None:
    """`fits` decides: a Budget that over- or underestimates every word changes no part."""
    fits, budget = judge("x", 0.5)
    for text in texts(5, 40):
        expected = split_to_fit(text, fits)
        for wrong in (lambda piece: len(piece) * 3, lambda piece: len(piece) // 3, lambda piece: 1):
            assert split_to_fit(text, fits, Budget((wrong,), budget.limits)) == expected, text


def test_an_over_long_word_after_a_sentence_is_cut_without_an_empty_part() -> None:
    """The sentence after '. ' starts with its space: packing used to take that space alone and emit it
    as an empty part before cutting the word."""
    fits, budget = judge("x", 0.1)  # 28, of which the part number takes 4
    text = "Short one. " + "y" * 40 + " tail"
    expected = ["Short one.", "y" * 24, "y" * 16 + " tail"]
    assert reference(text, fits) == expected
    assert split_to_fit(text, fits) == expected
    assert split_to_fit(text, fits, budget) == expected


def test_each_levels_pieces_are_the_levels_own_split() -> None:
    """The tokens and where each level's pieces start give the pieces the level patterns give, nested as
    packing nests them (whitespace aside: a part is stripped)."""
    extra = ["a\n\n  b", "a. b", "風。風", "。。", "a 。b", "a。 b", "x.\n\ny", "a\n \nb", "so… next"]
    extra += ["end؟ بعد"]
    for text in [*texts(13, 150, most=60), *extra]:
        text = text.strip()
        if not text:
            continue
        packer = _Packer(text, lambda part: True, None)
        pieces = [text]
        for level, pattern in enumerate(LEVELS):
            pieces = [piece for whole in pieces for piece in pattern.split(whole) if piece.strip()]
            bounds, starts = packer.bounds[level], packer.starts
            mine = [text[starts[a] : starts[b]] for a, b in itertools.pairwise(bounds)]
            assert [p.strip() for p in mine] == [p.strip() for p in pieces], (level, text)


def test_remembered_counts_once_and_stays_bounded() -> None:
    asked: list[str] = []

    def count(piece: str) -> int:
        asked.append(piece)
        return len(piece)

    remembered = PieceCounts(count, most=2)
    assert [remembered[p] for p in ("a", "bb", "a", "ccc", "a")] == [1, 2, 1, 3, 1]
    assert asked == ["a", "bb", "ccc", "a"]  # full at two: emptied before the third
    assert len(remembered) <= 2


HINDI = "यह पहला वाक्य है{stop} यह दूसरा वाक्य थोड़ा लंबा है{stop} और यह तीसरा वाक्य सबसे लंबा वाक्य है{stop}"


def test_hindi_splits_at_the_danda_as_it_does_at_a_full_stop() -> None:
    """The same Hindi text with । or . between its sentences: the same parts, each a whole sentence."""

    def fits(part: str) -> bool:
        return len(part) <= 50  # the first two sentences and a few words of the third

    with_stops = split_to_fit(HINDI.format(stop="."), fits)
    with_dandas = split_to_fit(HINDI.format(stop="।"), fits)
    assert [part.replace("।", ".") for part in with_dandas] == with_stops
    assert all(part.endswith("।") for part in with_dandas), with_dandas


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("यह पहला वाक्य है।", "और दूसरा वाक्य॥"),  # Devanagari danda and double danda
        ("یہ پہلا جملہ ہے۔", "اور دوسرا جملہ۔"),  # Urdu full stop
        ("Սա առաջին նախադասությունն է։", "Եվ սա երկրորդն է։"),  # Armenian full stop
        ("ይህ የመጀመሪያው ዓረፍተ ነገር ነው።", "ይህ ሁለተኛው ነው።"),  # Ethiopic full stop
        ("Τι κάνεις σήμερα το πρωί;", "Καλά είμαι."),  # Greek question mark (";" after NFC)
        ("Τι κάνεις σήμερα το πρωί\u037e", "Καλά είμαι."),  # U+037E itself
        ("ဒါက ပထမ စာကြောင်း ဖြစ်ပါတယ်။", "ဒုတိယ စာကြောင်း။"),  # Myanmar
        ("នេះគឺជាប្រយោគទីមួយ។", "នេះគឺជាប្រយោគទីពីរ។"),  # Khmer
        ("วันนี้อากาศดีมากเราไปเล่นว่าวที่ชายหาด", "พรุ่งนี้ฝนจะตก"),  # Thai: a space between sentences
    ],
)
def test_a_sentence_in_any_script_ends_at_its_own_stop(first: str, second: str) -> None:
    """Two sentences that do not fit together split between them, never inside the first, in any script."""
    text = f"{first} {second}"

    def fits(part: str) -> bool:
        return len(part) <= len(first) + 3  # the first sentence and a bit of the second's first word

    assert split_to_fit(text, fits) == [first, second]
    packer = _Packer(text, fits, None)
    sentence_starts = [packer.starts[token] for token in packer.bounds[2]]
    assert sentence_starts == [0, len(first), len(text)]


def test_a_tail_on_x_takes_the_last_sentences_of_the_part_before_it() -> None:
    """A ~300-character paragraph on X was a full part and a 19-character tail; now the break is the
    sentence break that makes the two parts most even."""
    fits, budget = judge("x")
    text = (
        "Our autumn workshop is back at the beach hut on Saturday morning. Bring a kite that needs a repair, "
        "or come and build a small one from scratch with our ripstop and spools. Tea and cake are on us, and "
        "the tide tables say the wind turns onshore by noon, so we fly what we make. See you at the hut!"
    )
    assert [len(part) for part in greedy(text, fits)] == [275, 19]
    cut = text.index(" Tea")
    expected = [text[:cut], text[cut + 1 :]]
    assert split_to_fit(text, fits) == expected
    assert split_to_fit(text, fits, budget) == expected
    # a tail that is its own paragraph or line (a sign-off, a list's last item) is where the writer put it
    for before_tail in ("\n\n", "\n"):
        signed = text.replace(" See you", before_tail + "See you")
        assert (
            split_to_fit(signed, fits)
            == greedy(signed, fits)
            == [text[: text.index(" See")], "See you at the hut!"]
        )


def test_a_310_character_sentence_on_x_is_broken_evenly_between_words() -> None:
    fits, budget = judge("x", label="")
    sentence = " ".join(
        ["kite wind beach sail fly light strong repair workshop family morning breeze line"] * 4
    )
    text = sentence[:310].rstrip()
    assert [len(part) for part in greedy(text, fits)] == [280, 29]
    balanced = split_to_fit(text, fits, budget)
    assert " ".join(balanced) == text
    assert all(fits(part) for part in balanced)
    assert abs(len(balanced[0]) - len(balanced[1])) < 20, balanced
