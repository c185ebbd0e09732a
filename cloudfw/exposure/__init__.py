"""Effective exposure: what the internet can really reach, per asset, through every layer."""

from cloudfw.exposure.paths import ExposurePath, Layer, build_paths
from cloudfw.exposure.stack import (
    AssetExposure,
    Blocked,
    Exposure,
    Hop,
    Stacker,
    effective_exposure,
)

__all__ = [
    "AssetExposure", "Blocked", "Exposure", "ExposurePath", "Hop", "Layer", "Stacker",
    "build_paths", "effective_exposure",
]  # fmt: skip
