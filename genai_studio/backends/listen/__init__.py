"""Listen: speech to text. Whisper base embedded (faster-whisper, int8 on the CPU), larger
Whisper models by hub id, and any OpenAI-compatible transcription server.

Every backend streams a recording's segments as they are recognised.
"""
