"""katern: turn curated records of local initiatives into brochures, handouts and booklets."""

from __future__ import annotations

__version__ = "0.1.0"
