"""GenAI Studio: an open studio for creative work with generative models."""

__version__ = "0.1.0"
