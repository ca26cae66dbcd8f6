"""Government service halls (办事大厅): the nearest one to a location, or the one for a named area.

A hall run by one department names it (``department:``) and takes its phone and office hours
from ``departments.yml``; writing them again in ``halls.yml`` is refused, so they cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from govservice import settings
from govservice.catalog import facts

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
    areas: Sequence[str] = ()
    department: str = ""

    def describe(self) -> str:
        """Name, address, hours and phone, in Chinese."""
        return f"{self.name}\n地址：{self.address}\n办公时间：{self.office_hours}\n咨询电话：{self.phone}"


class HallError(ValueError):
    """``halls.yml`` repeats or lacks a fact; the message says which hall."""


def _hall(entry: Dict[str, Any]) -> Hall:
    code = entry.get("department")
    if code:
        if "phone" in entry or "office_hours" in entry:
            raise HallError(f"{entry.get('name')}：由部门{code}管理的大厅，电话和办公时间只写在 departments.yml")
        dept = facts.departments().get(str(code))
        if dept is None:
            raise HallError(f"{entry.get('name')}：部门{code}不在 departments.yml 中")
        entry = {**entry, "phone": dept["consult_phone"], "office_hours": dept["office_hours"]}
    return Hall(**{**entry, "areas": tuple(entry.get("areas") or ())})


@lru_cache(maxsize=4)
def _load(path: Path) -> Tuple[Hall, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return tuple(_hall(entry) for entry in (raw or {}).get("halls", []))


def halls() -> List[Hall]:
    """Every hall, in file order."""
    return list(_load(settings.current().knowledge_base / "halls.yml"))


def hall_named(name: str) -> Optional[Hall]:
    """The hall with this exact name, or None."""
    return next((hall for hall in halls() if hall.name == name), None)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest(latitude: float, longitude: float) -> Optional[Tuple[Hall, float]]:
    """The hall closest to the location and its distance in km; None without halls."""
    ranked = sorted(
        ((distance_km(latitude, longitude, h.latitude, h.longitude), h) for h in halls()), key=lambda pair: pair[0]
    )
    return (ranked[0][1], ranked[0][0]) if ranked else None


def for_area(text: str) -> Optional[Hall]:
    """The hall whose area the text names ("我住榕城区那边"), the longest name winning; else None."""
    named = [(len(area), hall) for hall in halls() for area in hall.areas if area and area in text]
    return max(named, key=lambda pair: pair[0])[1] if named else None


def area_names() -> List[str]:
    """The first (full) area name of every hall that has areas, for hints such as “滨江区”."""
    return [hall.areas[0] for hall in halls() if hall.areas]
