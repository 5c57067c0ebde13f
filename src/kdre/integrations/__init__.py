"""Adapters of the serving layer to other tools: spacy (the ``kdre_relations``
pipeline component)."""
