"""Architectures beyond the MLP: specs (pure, read by RunConfig) and builders (torch modules, read by the trainer)."""
