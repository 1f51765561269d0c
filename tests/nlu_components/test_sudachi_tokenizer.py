"""The SudachiPy tokenizer: NFKC first, offsets into the (normalised) text, desk lemmas."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ja_nlu.sudachi_tokenizer import SudachiTokenizer


def tokenizer(mode: str = "B") -> SudachiTokenizer:
    return SudachiTokenizer({**SudachiTokenizer.get_default_config(), "split_mode": mode})


def tokens_of(text: str, mode: str = "B") -> tuple[Message, list[Token]]:
    message = Message(data={TEXT: text})
    tokenizer(mode).process([message])
    tokens: list[Token] = message.get(TOKENS_NAMES[TEXT])
    return message, tokens


@pytest.mark.parametrize("mode", ["A", "B", "C"])
def test_offsets_point_into_the_normalised_text(mode: str) -> None:
    message, tokens = tokens_of("本番のＳＱＬ　Ｓｅｒｖｅｒが落ちて、ｻｰﾊﾞｰに繋がりません。", mode)
    text = message.get(TEXT)
    assert text == "本番のSQL Serverが落ちて、サーバーに繋がりません。"
    assert tokens
    for token in tokens:
        assert text[token.start : token.end] == token.text
    assert all(token.text not in ("、", "。") for token in tokens)  # punctuation skipped


def test_spelling_variants_share_one_lemma() -> None:
    _, short = tokens_of("サーバが落ちた")
    _, long = tokens_of("サーバーが落ちた")
    assert short[0].lemma == long[0].lemma
    _, logon = tokens_of("ログオンできない")
    _, login = tokens_of("ログインできない")
    assert logon[0].lemma == login[0].lemma


def test_split_modes_differ_on_compounds() -> None:
    texts = {mode: [t.text for t in tokens_of("本番環境のファイルサーバー", mode)[1]] for mode in "ABC"}
    assert texts["B"] == ["本番", "環境", "の", "ファイル", "サーバー"]
    assert texts["C"] == ["本番環境", "の", "ファイルサーバー"]
    assert [t.text for t in tokens_of("国家公務員", "A")[1]] == ["国家", "公務", "員"]
    assert [t.text for t in tokens_of("国家公務員", "B")[1]] == ["国家", "公務員"]


def test_unknown_split_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="split_mode"):
        tokenizer("D")


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "!!!"])
def test_texts_without_words_still_get_one_token(text: str) -> None:
    _, tokens = tokens_of(text)
    assert len(tokens) == 1


def test_long_messages_are_tokenised_in_chunks_with_global_offsets() -> None:
    sentence = "サーバーが停止しています。"
    text = sentence * 6000  # 78,000 characters: far over what Sudachi accepts at once
    message, tokens = tokens_of(text)
    normalised = message.get(TEXT)
    assert tokens[-1].end == len(normalised) - 1  # the last 。 is skipped
    assert all(normalised[t.start : t.end] == t.text for t in tokens[::500])
    starts = [t.start for t in tokens]
    assert starts == sorted(starts)


def test_training_entities_move_with_the_normalisation() -> None:
    text = "ＳＱＬ　Ｓｅｒｖｅｒが落ちました"
    entity: dict[str, Any] = {"start": 0, "end": 10, "value": "SQL Server", "entity": "product"}
    example = Message(data={TEXT: text, "intent": "report_problem", "entities": [entity]})
    tokenizer().process_training_data(TrainingData(training_examples=[example]))
    moved = example.get("entities")[0]
    assert example.get(TEXT)[moved["start"] : moved["end"]] == "SQL Server"
