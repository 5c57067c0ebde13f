"""kdre: distilling knowledge from well-informed soft labels for neural relation extraction."""

__version__ = "0.1.0"


def load_model(path, spacy_model=None, device="cpu"):
    """Load a trained model file for prediction on raw text (see ``kdre.predict``)."""
    from kdre.predict import load_model as _load

    return _load(path, spacy_model, device)
