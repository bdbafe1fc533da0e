"""Transcribe: audio to a speaker-separated, encrypted transcript (local Whisper or Deepgram)."""
