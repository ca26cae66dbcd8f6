"""LogisticRegressionClassifier that combines only the sentence features it reads.

Rasa's ``LogisticRegressionClassifier._create_X`` calls ``Message.get_sparse_features``, which
stacks the sequence features (one row per token) of every featurizer as well as the sentence
features, and then uses only the sentence features. Under load that stacking was about a tenth
of the Rasa server's CPU (py-spy, bench/README.md). This subclass stacks the sentence features
alone, in the same order, so training and predictions are unchanged. With ``RASA_OVERRIDES=off``
it builds the matrix Rasa's way.

It is a Rasa component named in ``config.yml``
(``overrides.classifiers.SentenceLogisticRegressionClassifier``): it must import, and be trained,
without :func:`overrides.install`.
"""

from __future__ import annotations

from typing import List

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack

from overrides import enabled


def sentence_row(message: Message) -> csr_matrix:
    """The message's sparse then dense sentence features for TEXT, side by side, as one row.

    Args:
        message: a featurized message.

    Returns:
        A 1 × n matrix, equal to what Rasa's classifier builds from ``get_sparse_features`` and
        ``get_dense_features``.
    """
    sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    sparse = [f.features for f in sentence if f.is_sparse()]
    dense = [f.features for f in sentence if f.is_dense()]
    parts = [hstack(sparse) if sparse else csr_matrix([]), csr_matrix(np.concatenate(dense, axis=-1) if dense else [])]
    return hstack(parts)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's logistic-regression intent classifier without the unused sequence stacking."""

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """One row of sentence features per message (Rasa's own matrix when the door is off)."""
        if not enabled():
            return LogisticRegressionClassifier._create_X(self, messages)
        return vstack([sentence_row(message) for message in messages])
