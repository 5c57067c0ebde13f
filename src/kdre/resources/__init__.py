"""Package data: the WordNet 3.0 noun supersense table kdre ships, and its licence."""
