"""Knowledge graph of stem-cell therapy for autoimmune disease (SCAD)."""

__version__ = "1.0.0"
