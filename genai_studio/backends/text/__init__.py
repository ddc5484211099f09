"""Text backends: embedded llama.cpp (SmolLM2, local GGUF), transformers, OpenAI-compatible."""
