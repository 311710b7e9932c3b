"""What a module instance's variables are given: its caller's arguments, or root tfvars."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from collectors.terraform.evaluate import Env, Unknown, evaluate_value

_META_ARGS = {"source", "version", "count", "for_each", "providers", "depends_on"}

# Variable defaults and tfvars are constants: every name in them is unknown.
CONST_ENV = Env(
    variables={},
    locals_={},
    resource=lambda t, n: Unknown(),
    module=lambda n: Unknown(),
)


class LazyMap(Mapping[str, Any]):
    """A mapping whose values are computed on first access (module variables)."""

    def __init__(self, compute: Callable[[str], Any]) -> None:
        self._compute = compute

    def __getitem__(self, key: str) -> Any:
        return self._compute(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self._compute(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def call_inputs(call: Mapping[str, Any], env: Env) -> Callable[[str], tuple[bool, Any]]:
    """Inputs of a child module: its call's arguments, evaluated in the caller once each."""
    cache: dict[str, Any] = {}

    def inputs(name: str) -> tuple[bool, Any]:
        if name in _META_ARGS or name not in call:
            return False, None
        if name not in cache:
            cache[name] = Unknown()
            cache[name] = evaluate_value(call[name], env)
        return True, cache[name]

    return inputs


def root_inputs(values: Mapping[str, Any]) -> Callable[[str], tuple[bool, Any]]:
    """Inputs of a root module: tfvars values, already plain data."""

    def inputs(name: str) -> tuple[bool, Any]:
        if name in values:
            return True, evaluate_value(values[name], CONST_ENV)
        return False, None

    return inputs
