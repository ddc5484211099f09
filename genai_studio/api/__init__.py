"""Front doors other than the UI: protocols turned into the studio's typed requests."""
