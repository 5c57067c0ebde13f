"""Layer 2, features: inputs computed before and outside a model's training.

vectors (word vectors and the frozen contextual vectors), huggingface (any local Hugging Face
encoder: tokenizer + model, offline), pieces (entity-marked word pieces for a transformer)."""
