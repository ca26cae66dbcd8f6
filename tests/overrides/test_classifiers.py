"""The sentence-only classifier builds exactly the matrix Rasa's classifier builds."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix

from govservice.settings import reload as reload_settings
from overrides import SWITCH
from overrides.classifiers import SentenceLogisticRegressionClassifier, sentence_row


def _message(seed: int, dense: bool) -> Message:
    rng = np.random.default_rng(seed)
    message = Message(data={TEXT: "身份证丢了怎么补办"})
    for origin, width in (("regex", 3), ("words", 7), ("chars", 11)):
        tokens = coo_matrix(rng.integers(0, 2, size=(4, width)))
        message.add_features(Features(tokens, FEATURE_TYPE_SEQUENCE, TEXT, origin))
        message.add_features(Features(coo_matrix(tokens.sum(axis=0)), FEATURE_TYPE_SENTENCE, TEXT, origin))
    if dense:
        message.add_features(Features(rng.random((1, 5)), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    return message


@pytest.mark.parametrize("switch", ["on", "off"])
@pytest.mark.parametrize("dense", [False, True])
def test_the_matrix_equals_rasas(monkeypatch: pytest.MonkeyPatch, dense: bool, switch: str) -> None:
    monkeypatch.setenv(SWITCH, switch)
    reload_settings()
    messages = [_message(seed, dense) for seed in range(3)]
    ours = SentenceLogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    rasa = LogisticRegressionClassifier._create_X(None, messages)  # type: ignore[arg-type]
    assert ours.shape == rasa.shape == (3, 21 + (5 if dense else 0))
    assert (ours != rasa).nnz == 0


def test_each_row_is_the_messages_sentence_features_only() -> None:
    message = _message(7, dense=True)
    row = sentence_row(message)
    rasa = LogisticRegressionClassifier._create_X(None, [message])  # type: ignore[arg-type]
    assert row.shape == (1, 26) and (row != rasa).nnz == 0
