"""Layer 6, training: how each model is fitted.

loop (the one optimisation loop: batching, schedule, dev selection, early stop, history),
recipe (the skeleton every model shares: data, vocab, vectors, seed, save; and the C-GCN's
recipe), teacher, transformer_teacher, student (one recipe each), soft_labels (the file the
teacher writes and the student reads)."""
