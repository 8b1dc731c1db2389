"""Each metric against hand-computed values and against the reference it claims to match.

exactMatch and tokenF1 are compared with the SQuAD v1.1 script (`squad_v11.py`), rougeL with Google's
`rouge-score`, on generated text (docs/evaluation-scores.md).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from tests.unit.evaluation import squad_v11
from tuneline.evaluation import metrics
from tuneline.evaluation.metrics import (
    exact_match,
    is_json,
    lcs_length,
    length_ratio,
    normalize_answer,
    rouge_l,
    rouge_tokens,
    score_response,
    token_f1,
)

SCORER = rouge_scorer.RougeScorer(["rougeL"])
# Few distinct words, so generated pairs share words and the LCS is rarely trivial.
WORDY_ASCII = st.text(alphabet="ab cd,.!?'-\n\tAB1 the an", max_size=60)
ANY_ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=80)
ASCII_TEXT = st.one_of(WORDY_ASCII, ANY_ASCII)
ANY_TEXT = st.one_of(ASCII_TEXT, st.text(max_size=60))


def reference_rouge_l(prediction: str, reference: str) -> float:
    return float(SCORER.score(reference, prediction)["rougeL"].fmeasure)


@pytest.mark.parametrize(
    ("prediction", "reference", "em", "f1", "rouge"),
    [
        # Normalization: case, punctuation and articles go, so these match exactly.
        ("The Eiffel Tower!", "eiffel tower", 1.0, 1.0, 0.8),
        # Empty response: nothing shared.
        ("", "Paris", 0.0, 0.0, 0.0),
        # Both empty: equal after normalization (exact match 1), but no shared token (SQuAD's F1 is 0).
        ("", "", 1.0, 0.0, 0.0),
        # Punctuation only: normalizes to nothing on both sides, the same as both empty.
        ("?!...", "--", 1.0, 0.0, 0.0),
        # Repeated tokens count once per match: 1 shared of 3 predicted, 2 expected -> P 1/3, R 1/2, F1 0.4.
        ("cat cat cat", "cat dog", 0.0, 0.4, 0.4),
        # rougeL: LCS 4 of 4 predicted and 6 expected words -> 2 * 1 * 2/3 / (5/3) = 0.8.
        ("the cat on mat", "the cat sat on the mat", 0.0, 2 * 1.0 * 0.75 / 1.75, 0.8),
    ],
)
def test_hand_computed_scores(prediction: str, reference: str, em: float, f1: float, rouge: float) -> None:
    assert exact_match(prediction, reference) == em
    assert token_f1(prediction, reference) == pytest.approx(f1)
    assert rouge_l(prediction, reference) == pytest.approx(rouge)


def test_repeated_tokens_in_rouge_l_follow_the_longest_common_subsequence() -> None:
    # "a a a b" vs "a b b": the LCS is "a b" (2); P 2/3, R 2/4 -> F 4/7.
    assert rouge_l("a b b", "a a a b") == pytest.approx(4 / 7)
    assert lcs_length(["a", "a", "a", "b"], ["a", "b", "b"]) == 2


def test_normalize_answer_drops_articles_only_as_whole_words() -> None:
    assert normalize_answer("  The  theory of AN apple, a banana. ") == "theory of apple banana"


@given(ANY_TEXT, ANY_TEXT)
def test_exact_match_and_token_f1_equal_the_squad_script(prediction: str, reference: str) -> None:
    assert normalize_answer(prediction) == squad_v11.normalize_answer(prediction)
    assert exact_match(prediction, reference) == float(squad_v11.exact_match_score(prediction, reference))
    assert token_f1(prediction, reference) == squad_v11.f1_score(prediction, reference)


@given(ASCII_TEXT, ASCII_TEXT)
def test_rouge_l_equals_rouge_score_on_ascii_text(prediction: str, reference: str) -> None:
    assert rouge_l(prediction, reference) == reference_rouge_l(prediction, reference)


def test_rouge_l_equals_rouge_score_on_a_realistic_answer() -> None:
    reference = "Reset your password from Settings > Account, then sign in again within 24 hours."
    prediction = "Go to Settings, open Account and reset the password; sign in again (within 24h)."
    assert rouge_l(prediction, reference) == reference_rouge_l(prediction, reference) > 0.3


@given(st.lists(st.sampled_from("abc"), max_size=25), st.lists(st.sampled_from("abcd"), max_size=25))
def test_bit_parallel_lcs_equals_the_dynamic_programming_table(first: list[str], second: list[str]) -> None:
    table = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for i, a in enumerate(first, 1):
        for j, b in enumerate(second, 1):
            table[i][j] = table[i - 1][j - 1] + 1 if a == b else max(table[i - 1][j], table[i][j - 1])
    assert lcs_length(first, second) == table[-1][-1]


@given(ASCII_TEXT)
def test_the_unicode_tokenizer_gives_rouge_scores_tokens_on_ascii_text(text: str) -> None:
    assert metrics._unicode_tokens(text) == rouge_tokens(text)


def test_text_in_other_scripts_still_scores() -> None:
    # rouge-score tokenizes these to nothing (and scores 0); here they are words or characters.
    assert rouge_tokens("日本語のテキスト") == ["日", "本", "語", "の", "テ", "キ", "ス", "ト"]
    assert rouge_tokens("Café crème, s'il vous plaît 🙂") == ["café", "crème", "s", "il", "vous", "plaît"]
    assert rouge_tokens("हिन्दी भाषा") == ["हिन्दी", "भाषा"]  # combining vowel signs and virama stay in the word
    assert rouge_tokens("ภาษาไทย")[:2] == ["ภ", "า"]  # unspaced script: one token per character
    assert rouge_tokens("ที่") == ["ที่"]  # a Thai consonant keeps its marks
    # 10 characters each, longest common subsequence 日本の首都です (7): P = R = F = 0.7.
    assert rouge_l("東京は日本の首都です", "日本の首都は東京です") == pytest.approx(0.7)
    assert reference_rouge_l("東京は日本の首都です", "日本の首都は東京です") == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', True),
        ("  [1, 2]\n", True),
        ("42", False),  # a scalar is plain text that happens to parse
        ("true", False),
        ('{"a": 1', False),
        ('```json\n{"a": 1}\n```', False),  # fenced JSON is not JSON
        ("", False),
        ('{"a": NaN}', True),
    ],
)
def test_is_json(text: str, expected: bool) -> None:
    assert is_json(text) is expected


def test_length_ratio_counts_characters_and_stays_finite() -> None:
    assert length_ratio("abcd", "ab") == 2.0
    assert length_ratio("  ab  ", "abcd") == 0.5
    assert length_ratio("", "") == 0.0
    assert length_ratio("abc", "") == 3.0


def test_score_response_adds_json_validity_only_for_json_references() -> None:
    assert set(score_response("x", "plain answer")) == {"exactMatch", "tokenF1", "rougeL", "lengthRatio"}
    assert score_response('{"name": "Ada"}', '{"name": "Ada"}')["jsonValid"] == 1.0
    assert score_response("Sure! {name: Ada}", '{"name": "Ada"}')["jsonValid"] == 0.0
