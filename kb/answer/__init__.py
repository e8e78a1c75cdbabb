"""Cited answers: a registry of question types, one context per question, one abstention gate, answers
as structured statements rendered at the edge. `answer()` is what Engine.ask calls."""
from .pipeline import answer

__all__ = ["answer"]
