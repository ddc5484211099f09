"""How the melody model was made: corpus extraction and training (needs music21 and torch).

Nothing here is imported when the studio runs; the sampler reads the exported weights.
"""
