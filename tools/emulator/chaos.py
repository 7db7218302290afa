# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seeded chaos: random faults whose choice depends only on (seed, tenant, endpoint, request number)."""

from __future__ import annotations

import dataclasses
import random

from .faults import FAULT_ENDPOINTS, RELTIO_ENDPOINTS, FaultRule
from .wire import checked_settings, is_int, is_number, is_str_list

# Each kind of seeded random fault, as a fault rule. ``delay`` and ``retry_after`` True take the
# chaos settings' values. "commit_" kinds run the real operation first (the commit-then-fail case).
CHAOS_KINDS = {
    '429': {'status': 429},
    '429_retry_after': {'status': 429, 'retry_after': True},
    '500': {'status': 500},
    '502': {'status': 502},
    '503': {'status': 503},
    '503_retry_after': {'status': 503, 'retry_after': True},
    '504': {'status': 504},
    'html': {'status': 502, 'body': 'html'},
    'text': {'status': 503, 'body': 'text'},
    'truncated': {'status': 503, 'body': 'truncated'},
    'garbage': {'status': 500, 'body': 'garbage'},
    'empty': {'status': 504, 'body': 'empty'},
    'reset': {'reset': True},
    'slow': {'status': None, 'delay': True},
    'commit_500': {'status': 500, 'after_commit': True},
    'commit_502': {'status': 502, 'after_commit': True},
    'commit_503': {'status': 503, 'after_commit': True},
    'commit_504': {'status': 504, 'body': 'html', 'after_commit': True},
    'commit_reset': {'reset': True, 'after_commit': True},
    'commit_slow': {'status': None, 'delay': True, 'after_commit': True},
    # A 200 whose body is not JSON after the change was made: a proxy that mangles answers.
    'commit_garbled_200': {'status': 200, 'body': 'truncated', 'after_commit': True},
}
DEFAULT_CHAOS_KINDS = tuple(CHAOS_KINDS)
# Every endpoint may be given; by default only Reltio's get random faults (the workspace's when listed).
CHAOS_ENDPOINTS = FAULT_ENDPOINTS[:-1]
DEFAULT_CHAOS_ENDPOINTS = RELTIO_ENDPOINTS


def _chaos_kinds(value) -> bool:
    if isinstance(value, list):
        return bool(value) and all(kind in CHAOS_KINDS for kind in value)
    return (isinstance(value, dict) and bool(value) and all(kind in CHAOS_KINDS for kind in value)
            and all(is_number(weight) and weight >= 0 for weight in value.values()) and sum(value.values()) > 0)


CHAOS_CHECKS = {
    'seed': lambda value: is_int(value) or isinstance(value, str),
    'rate': lambda value: is_number(value) and 0 <= value <= 1,
    'kinds': _chaos_kinds,
    'endpoints': lambda value: isinstance(value, list) and all(item in CHAOS_ENDPOINTS for item in value),
    'tenants': lambda value: value is None or is_str_list(value),
    'delay': lambda value: is_number(value) and value >= 0,
    'retry_after': lambda value: is_int(value) or isinstance(value, str),
}


@dataclasses.dataclass
class Chaos:
    """Seeded random faults for API requests (see the package docstring)."""

    seed: int | str = 0
    rate: float = 0.3
    kinds: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(DEFAULT_CHAOS_KINDS, 1))
    endpoints: list = dataclasses.field(default_factory=lambda: list(DEFAULT_CHAOS_ENDPOINTS))
    tenants: list | None = None
    delay: float = 1.5
    retry_after: int | str = 1

    @classmethod
    def from_spec(cls, spec) -> Chaos:
        """Build chaos settings from their JSON form; a list of kinds weighs them equally."""
        settings = checked_settings(spec, CHAOS_CHECKS, 'chaos setting')
        if isinstance(settings.get('kinds'), list):
            settings['kinds'] = dict.fromkeys(settings['kinds'], 1)
        return cls(**settings)

    def decide(self, endpoint: str, tenant: str | None, number: int) -> FaultRule | None:
        """The fault for the ``number``-th request of ``tenant`` to ``endpoint``, or None."""
        if endpoint not in self.endpoints or (self.tenants is not None and tenant not in self.tenants):
            return None
        rng = random.Random(f'{self.seed}/{tenant}/{endpoint}/{number}')
        if rng.random() >= self.rate:
            return None
        names = sorted(self.kinds)
        kind = rng.choices(names, weights=[self.kinds[name] for name in names])[0]
        spec = dict(CHAOS_KINDS[kind])
        if spec.get('delay') is True:
            spec['delay'] = self.delay
        if spec.get('retry_after') is True:
            spec['retry_after'] = self.retry_after
        return FaultRule(endpoint=endpoint, tenant=tenant, message=f'Injected {kind} fault', kind=kind, **spec)
