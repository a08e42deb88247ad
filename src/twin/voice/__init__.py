"""Voice: speech to text (faster-whisper, PyAV) and text to speech (Piper, espeak-ng), offline."""
