"""Listening checks for generated music: key from chroma (Krumhansl-Kessler profiles) and tempo
from librosa's beat tracker. Used by the tests and bench/music.py to verify what was made."""

from __future__ import annotations

import numpy as np

MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def mono(audio: np.ndarray) -> np.ndarray:
    return audio.mean(axis=1) if audio.ndim == 2 else audio


def estimate_key(audio: np.ndarray, sample_rate: int) -> tuple[int, str]:
    """(tonic 0-11 above C, "major" | "minor") whose profile best correlates with the chroma."""
    import librosa

    chroma = librosa.feature.chroma_cqt(y=mono(audio).astype(np.float32), sr=sample_rate).mean(axis=1)
    best = max(
        ((tonic, mode) for tonic in range(12) for mode in ("major", "minor")),
        key=lambda k: np.corrcoef(chroma, np.roll(MAJOR_PROFILE if k[1] == "major" else MINOR_PROFILE, k[0]))[
            0, 1
        ],
    )
    return best


def estimate_tempo(audio: np.ndarray, sample_rate: int, start_bpm: float = 120.0) -> float:
    import librosa

    y = librosa.resample(mono(audio).astype(np.float32), orig_sr=sample_rate, target_sr=22_050)
    tempo, _ = librosa.beat.beat_track(y=y, sr=22_050, start_bpm=start_bpm)
    return float(np.atleast_1d(tempo)[0])
