"""The demo province: `load()` fills an empty desk with realistic Lào Cai data (never in production)."""
from .loader import load

__all__ = ["load"]
