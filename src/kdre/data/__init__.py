"""Layer 1, data: a raw corpus becomes parsed examples and model tensors.

datasets/ (raw formats → records) → parsing (spaCy on fixed tokens) → corpus (the parse stage:
records → schema rows) → schema (the parsed-example table) → vocab, tree, encode (rows → padded
batches). Uses nothing of kdre above it."""
