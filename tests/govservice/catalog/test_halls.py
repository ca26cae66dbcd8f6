"""The nearest 办事大厅 to a shared location."""

from __future__ import annotations

import pytest

from govservice.catalog.halls import area_names, distance_km, for_area, halls, nearest


def test_halls_load_from_the_knowledge_base() -> None:
    loaded = halls()
    assert len(loaded) >= 4 and all(h.address and h.office_hours for h in loaded)


def test_distance_is_haversine() -> None:
    # one degree of latitude is about 111.2 km anywhere
    assert distance_km(26.0, 119.0, 27.0, 119.0) == pytest.approx(111.19, abs=0.1)


def test_nearest_hall_to_a_point_beside_the_riverside_centre() -> None:
    hall, km = nearest(26.0400, 119.3260)  # type: ignore[misc]
    assert hall.name == "滨江区便民服务中心" and km < 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("我住榕城区那边", "榕城区便民服务中心"), ("人在滨江，去哪办方便", "滨江区便民服务中心"), ("我在城南", None)],
)
def test_a_named_area_picks_its_hall(text: str, expected: str | None) -> None:
    hall = for_area(text)
    assert (hall.name if hall else None) == expected


def test_area_names_are_the_full_names_of_halls_with_areas() -> None:
    assert area_names() == ["滨江区", "榕城区"]
