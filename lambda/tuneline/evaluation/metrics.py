"""Per-response metrics, defined as the references the field reports them with (docs/evaluation-scores.md).

* `exact_match` and `token_f1` follow the SQuAD v1.1 evaluation script line for line: the same normalization
  (lower-case, ASCII punctuation removed, the articles a/an/the dropped, whitespace collapsed), the same
  whitespace tokens, and the same edge cases (two empty texts match exactly but have a token F1 of 0).
* `rouge_l` is the ROUGE-L F-measure of Google's `rouge-score` (`RougeScorer(["rougeL"])`, no stemmer), to
  the last bit on ASCII text. `rouge-score` keeps only `[a-z0-9]` runs, so text in other scripts scores 0
  there; here letters, digits and marks of every script form words, and characters of scripts written without
  spaces count one each (docs/evaluation-scores.md, "Text in other scripts").

Standard library only: this module ships in the Lambda asset; the tests compare it with the references.
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections import Counter

# The metrics a gate may compare; "jsonValid" joins them when the references are JSON.
METRICS: tuple[str, ...] = ("exactMatch", "tokenF1", "rougeL")
JSON_VALID = "jsonValid"
LENGTH_RATIO = "lengthRatio"
GATE_METRICS: tuple[str, ...] = (*METRICS, JSON_VALID)

_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 `normalize_answer`: lower-case, drop punctuation, drop articles, collapse whitespace."""
    text = text.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, reference: str) -> float:
    """1.0 when both texts are equal after `normalize_answer`, else 0.0 (SQuAD v1.1 `exact_match_score`)."""
    return 1.0 if normalize_answer(prediction) == normalize_answer(reference) else 0.0


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD v1.1 `f1_score`: harmonic mean of precision and recall of the shared normalized tokens."""
    predicted = normalize_answer(prediction).split()
    expected = normalize_answer(reference).split()
    shared = sum((Counter(predicted) & Counter(expected)).values())
    if shared == 0:
        return 0.0
    precision = 1.0 * shared / len(predicted)
    recall = 1.0 * shared / len(expected)
    return (2 * precision * recall) / (precision + recall)


def rouge_tokens(text: str) -> list[str]:
    """The words ROUGE-L compares: `rouge-score`'s tokenizer on ASCII text, a Unicode-aware one otherwise."""
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    return _unicode_tokens(text)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure (beta 1) over `rouge_tokens`, as `rouge_score.rouge_scorer._score_lcs` computes it."""
    target = rouge_tokens(reference)
    predicted = rouge_tokens(prediction)
    if not target or not predicted:
        return 0.0
    common = lcs_length(target, predicted)
    precision = common / len(predicted)
    recall = common / len(target)
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def lcs_length(first: list[str], second: list[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Allison-Dix, as refined by Hyyroe).

    Each word of `first` owns one bit; a row of the classic dynamic-programming table is one integer, so a
    pair of 300-word texts costs 300 integer operations instead of 90,000 table cells. The result equals
    the table's last cell, which is what `rouge-score` reads (the tests check both against each other).
    """
    positions: dict[str, int] = {}
    for index, word in enumerate(first):
        positions[word] = positions.get(word, 0) | (1 << index)
    mask = (1 << len(first)) - 1
    row = mask
    for word in second:
        matches = row & positions.get(word, 0)
        row = ((row + matches) | (row - matches)) & mask
    return len(first) - row.bit_count()


def is_json(text: str) -> bool:
    """True when the text, without surrounding whitespace, is one JSON object or array.

    Scalars do not count: an answer such as "42" or "true" is plain text that happens to parse.
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in "[{":
        return False
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def length_ratio(prediction: str, reference: str) -> float:
    """Characters of the response per character of the reference (surrounding whitespace ignored).

    An empty reference counts as one character, so the ratio stays finite: 0.0 for an empty response too.
    """
    return len(prediction.strip()) / max(len(reference.strip()), 1)


def score_response(prediction: str, reference: str) -> dict[str, float]:
    """Every per-record metric; `jsonValid` only when the reference itself is JSON."""
    scores = {
        "exactMatch": exact_match(prediction, reference),
        "tokenF1": token_f1(prediction, reference),
        "rougeL": rouge_l(prediction, reference),
        LENGTH_RATIO: length_ratio(prediction, reference),
    }
    if is_json(reference):
        scores[JSON_VALID] = 1.0 if is_json(prediction) else 0.0
    return scores


# Scripts written without spaces between words: each character is a word of its own for ROUGE-L, the usual
# character-level treatment for Chinese and Japanese (Han, kana, CJK symbols and marks) and for Thai, Lao,
# Myanmar and Khmer. Ranges, not a table: this keeps the asset small and the check one comparison each.
_UNSPACED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x3134F),  # CJK extensions B to G
)

_WORD, _ALONE, _SEPARATOR = 0, 1, 2


def _kind(char: str) -> int:
    if unicodedata.category(char)[0] not in "LNM":
        return _SEPARATOR
    code = ord(char)
    # Latin, Greek, Cyrillic, Arabic, Hebrew and the Indic scripts all lie below the first unspaced range.
    if code >= _UNSPACED_RANGES[0][0] and any(low <= code <= high for low, high in _UNSPACED_RANGES):
        return _ALONE
    return _WORD


def _unicode_tokens(text: str) -> list[str]:
    """Runs of letters, digits and combining marks of any script; unspaced-script characters one each.

    On ASCII input this gives exactly `rouge-score`'s tokens (NFKC and lower-casing leave ASCII as it is, and
    the ASCII letters and digits are the only ASCII characters in categories L and N); a test holds it to that.
    """
    tokens: list[str] = []
    word: list[str] = []
    for char in unicodedata.normalize("NFKC", text).lower():
        kind = _kind(char)
        if kind == _WORD or (kind == _ALONE and unicodedata.category(char)[0] == "M"):
            # A combining mark stays with the character before it (Thai vowel signs, for example).
            if kind == _ALONE and not word and tokens:
                tokens[-1] += char
            else:
                word.append(char)
            continue
        if word:
            tokens.append("".join(word))
            word = []
        if kind == _ALONE:
            tokens.append(char)
    if word:
        tokens.append("".join(word))
    return tokens
