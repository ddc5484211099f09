"""Pipelines: work that takes several tasks, composed as requests run through the manager."""
