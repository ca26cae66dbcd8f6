"""The scale model: from measured CPU seconds per turn of each role to machines for a province.

Pure arithmetic on the load test's measurements, with every assumption a named field of
:class:`Assumptions` so the report can print them:

* peak turns/s = citizens × share chatting on a busy day × turns each × peak-hour share / 3600;
* cores of a role = peak turns/s × its CPU seconds per turn / target utilisation;
* application machines = the stateless roles' cores packed on ``machine_cores``-core machines, at
  least ``min_machines`` so one can fail;
* a store's capacity (turns/s one instance can take): Redis runs commands on one thread, and one
  RabbitMQ queue is one Erlang process, so each gets one core; PostgreSQL gets a whole machine at
  the target utilisation. The store with the lowest capacity saturates first.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Dict, Mapping, Optional

STATELESS_ROLES = ("rasa", "actions", "nginx", "consumer", "staff")
"""Roles that scale out by adding processes; the stores are sized separately."""
STORE_CORES = {"redis": 1.0, "rabbitmq": 1.0}
"""Cores one instance of a store can use for this load (single-threaded command loop / one queue)."""


@dataclass(frozen=True)
class Assumptions:
    """The province and the hardware (issue 14's figures; machine size and utilisation are ours)."""

    citizens: int = 10_000_000
    chatting_share: float = 0.01
    turns_each: int = 8
    peak_hour_share: float = 0.15
    machine_cores: int = 16
    target_utilisation: float = 0.6
    min_machines: int = 2


def peak_turns_per_s(a: Assumptions) -> float:
    """Turns per second in the busiest hour of a busy day."""
    return a.citizens * a.chatting_share * a.turns_each * a.peak_hour_share / 3600.0


def per_turn(cpu_seconds: Mapping[str, float], turns: int) -> Dict[str, float]:
    """CPU seconds per turn of each role over a window of ``turns`` answered turns."""
    if turns <= 0:
        return {}
    return {role: seconds / turns for role, seconds in cpu_seconds.items()}


def cores_needed(cpu_per_turn: Mapping[str, float], peak: float, a: Assumptions) -> Dict[str, float]:
    """Cores each role needs at ``peak`` turns/s, kept at the target utilisation."""
    return {role: peak * seconds / a.target_utilisation for role, seconds in cpu_per_turn.items()}


def machines(cores: Mapping[str, float], a: Assumptions) -> int:
    """Application machines for the stateless roles (at least ``min_machines``)."""
    total = sum(cores.get(role, 0.0) for role in STATELESS_ROLES)
    return max(a.min_machines, math.ceil(total / a.machine_cores))


def store_capacity(cpu_per_turn: Mapping[str, float], a: Assumptions) -> Dict[str, Optional[float]]:
    """Turns/s one instance of each store can take before its cores are at the target utilisation."""
    capacity: Dict[str, Optional[float]] = {}
    for store in ("redis", "postgres", "rabbitmq"):
        seconds = cpu_per_turn.get(store)
        cores = STORE_CORES.get(store, float(a.machine_cores))
        capacity[store] = None if not seconds else cores * a.target_utilisation / seconds
    return capacity


def first_to_saturate(capacity: Mapping[str, Optional[float]]) -> Optional[str]:
    """The store with the lowest measured capacity (None when none was measured)."""
    measured = {store: value for store, value in capacity.items() if value}
    return min(measured, key=measured.__getitem__) if measured else None


def model(cpu_per_turn: Mapping[str, float], a: Assumptions = Assumptions(),
          redis_ops_per_turn: Optional[float] = None) -> Dict[str, Any]:
    """The whole scale model for the report.

    Args:
        cpu_per_turn: CPU seconds per answered turn of each role (rasa, actions, nginx, redis,
            postgres, rabbitmq, consumer, ...).
        a: the province and hardware assumptions.
        redis_ops_per_turn: Redis commands per turn, measured, to state the peak command rate.

    Returns:
        Peak turns/s, cores per role, application machines, each store's capacity and headroom
        at the peak, the store that saturates first, and the assumptions used.
    """
    peak = peak_turns_per_s(a)
    cores = cores_needed(cpu_per_turn, peak, a)
    capacity = store_capacity(cpu_per_turn, a)
    return {
        "assumptions": asdict(a),
        "peak_turns_per_s": round(peak, 2),
        "cpu_ms_per_turn": {role: round(seconds * 1000, 2) for role, seconds in cpu_per_turn.items()},
        "cores": {role: round(value, 2) for role, value in cores.items()},
        "app_cores": round(sum(cores.get(r, 0.0) for r in STATELESS_ROLES), 2),
        "app_machines": machines(cores, a),
        "store_capacity_turns_per_s": {s: None if v is None else round(v, 1) for s, v in capacity.items()},
        "store_headroom": {s: None if v is None else round(v / peak, 1) for s, v in capacity.items()},
        "first_to_saturate": first_to_saturate(capacity),
        "redis_ops_at_peak": None if redis_ops_per_turn is None else round(redis_ops_per_turn * peak),
    }
