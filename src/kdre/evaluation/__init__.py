"""Layer 5, evaluation: scores, tests and pictures of predictions.

scoring (official SemEval, TACRED, the lineage protocol), significance (paired bootstrap),
predictions (a model file on a split), plots (matplotlib figures, no global backend)."""
