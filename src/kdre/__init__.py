"""kdre: distilling knowledge from well-informed soft labels for neural relation extraction."""

__version__ = "0.1.0"

# The version of what a run computes for given params: bumped by every change of code that
# changes results without changing a param, so that `kdre matrix` does not take older runs for
# finished cells and `kdre report` never averages them with newer ones. Every training stage
# writes it into its metrics; a run without it is version 1.
#   1: up to 2026-11-27.
#   2: reference pruning (the LCA's head pruned), dev/test-only words zero beyond the source's
#      dimension, CPU kernels capped at train.cpu_isa, dropout masks from torch.rand, the
#      BiLSTM run per direction over padded input, sparse word-embedding gradients.
#   3: a teacher without the type term (teacher.type_constraints false) writes no global soft
#      labels and the student drops the global hint term (v2 trained the MAA branch towards the
#      uniform distribution of the teacher's all-zero global logits). Nothing else changed: a
#      v2 run with the type term is a v3 run (kdre.experiments.setups.CHANGED).
SETUP_VERSION = 3


def load_model(path, spacy_model=None, device="cpu"):
    """Load a trained model file for prediction on raw text (see ``kdre.serving.extractor``)."""
    from kdre.serving.extractor import load_model as _load

    return _load(path, spacy_model, device)
