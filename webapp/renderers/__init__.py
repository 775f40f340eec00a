"""Renderers: one small class per widget kind, drawing it with pyscript.web."""
