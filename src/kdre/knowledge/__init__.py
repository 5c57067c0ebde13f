"""Layer 3, knowledge: what the teacher knows beyond the sentence.

types (entity types: ner, wordnet, clusters) → graph (type patterns p → P(r|p), the soft rules
G(p) of the paper). wordnet reads the bundled supersense table."""
