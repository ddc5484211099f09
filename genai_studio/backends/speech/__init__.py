"""Speech backends: embedded hibari (neural English) and espeak-ng (100+ languages), hub VITS.

Every backend speaks a request sentence by sentence, so audio streams while the rest is made.
"""
