"""Layer 7, serving: a trained model on new text, with no training code imported.

extractor (load a model file, parse, score marked pairs), formats (the input formats that
`kdre predict` and the Python API read)."""
