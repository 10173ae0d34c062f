"""Best customers and those falling off: RFM scores, segment maps, movements, value, signals."""

from __future__ import annotations

from loyalist.segments.maps import SegmentMap, SegmentMapError, load_map, parse_map, shipped_maps
from loyalist.segments.rfm import Thresholds, rfm_scores, rfm_values

__all__ = [
    "SegmentMap", "SegmentMapError", "Thresholds", "load_map", "parse_map", "rfm_scores",
    "rfm_values", "shipped_maps",
]
