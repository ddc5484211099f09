"""Music backends: the embedded composer (our melody model + SoundFont rendering) and MusicGen."""
