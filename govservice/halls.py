"""Government service halls (办事大厅) and the nearest one to a location."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

import yaml

from govservice import config

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Hall:
    """One hall from ``knowledge_base/halls.yml``."""

    name: str
    address: str
    office_hours: str
    phone: str
    latitude: float
    longitude: float

    def describe(self) -> str:
        """Name, address, hours and phone, in Chinese."""
        return f"{self.name}\n地址：{self.address}\n办公时间：{self.office_hours}\n咨询电话：{self.phone}"


@lru_cache(maxsize=4)
def _load(path: Path) -> Tuple[Hall, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return tuple(Hall(**entry) for entry in (raw or {}).get("halls", []))


def halls() -> List[Hall]:
    """Every hall, in file order."""
    return list(_load(config.KNOWLEDGE_BASE / "halls.yml"))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest(latitude: float, longitude: float) -> Optional[Tuple[Hall, float]]:
    """The hall closest to the location and its distance in km; None without halls."""
    ranked = sorted(((distance_km(latitude, longitude, h.latitude, h.longitude), h) for h in halls()),
                    key=lambda pair: pair[0])
    return (ranked[0][1], ranked[0][0]) if ranked else None
