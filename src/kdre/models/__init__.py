"""Layer 4, models: torch modules and their losses, no training loop.

encoders/ (sentence → h: the C-GCN, its layers, a transformer), heads, baseline (the C-GCN),
teacher (γ_s, γ_v, γ_r over G(p)), student (C-GCN + multi-aspect attention), transformer_teacher,
losses (the loss terms of the paper, named as the paper names them), files (model files: the
registry of model kinds, safe save and load)."""
