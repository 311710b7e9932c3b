"""Plan and state JSON (`terraform show -json`) as resource blocks, through the same records.

Planned values are fully resolved literals where Terraform knew them; ids and ARNs of
resources not yet created are unknown in a plan, so references between resources come
from the plan's `configuration` section, followed through module variables and outputs
to the resource instances they name. State JSON has the real ids, which are mapped back
to the addresses that own them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from collectors.terraform.blocks import Block
from collectors.terraform.evaluate import Ref, Unknown

_INDEX = re.compile(r"\[[^\]]*\]")
_RESOURCE_REF = re.compile(r"^(?P<base>[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)(?P<index>\[[^\]]+\])?")
_MODULE_REF = re.compile(r"^module\.(?P<name>[A-Za-z_][\w-]*)(?P<key>\[[^\]]+\])?\.(?P<out>[\w-]+)")
# Attributes that hold lists of references (when the plan does not know their values).
_LIST_ATTRS = ("_ids", "_arns", "_names", "security_groups", "subnets", "instances")


def is_plan_or_state(doc: object) -> bool:
    return isinstance(doc, Mapping) and "format_version" in doc and "terraform_version" in doc


@dataclass(frozen=True)
class _Instance:
    address: str
    prefix: str  # module instance prefix: "" or 'module.a["x"].'
    type: str
    name: str
    index: object
    values: Mapping[str, Any]
    unknown: Mapping[str, Any]  # after_unknown from resource_changes


def _walk(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from (r for r in module.get("resources", []) if isinstance(r, Mapping))
    for child in module.get("child_modules", []):
        if isinstance(child, Mapping):
            yield from _walk(child)


def _config_modules(root: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Configuration modules by path without instance keys: "", "module.a.", ..."""
    out: dict[str, Mapping[str, Any]] = {}

    def visit(path: str, module: Mapping[str, Any]) -> None:
        out[path] = module
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, Mapping) and isinstance(call.get("module"), Mapping):
                visit(f"{path}module.{name}.", call["module"])

    visit("", root)
    return out


class _Plan:
    def __init__(self, doc: Mapping[str, Any]) -> None:
        values = doc.get("planned_values") or doc.get("values") or {}
        changes = {
            c.get("address"): (c.get("change") or {}).get("after_unknown") or {}
            for c in doc.get("resource_changes", [])
            if isinstance(c, Mapping)
        }
        self.instances: list[_Instance] = []
        for r in _walk(values.get("root_module") or {}):
            if r.get("mode", "managed") != "managed":
                continue
            address = str(r.get("address"))
            base = f"{r.get('type')}.{r.get('name')}"
            prefix = address[: address.rfind(base)] if base in address else ""
            self.instances.append(
                _Instance(
                    address,
                    prefix,
                    str(r.get("type")),
                    str(r.get("name")),
                    r.get("index"),
                    r.get("values") or {},
                    changes.get(address, {}),
                )
            )
        self.by_base: dict[str, list[str]] = defaultdict(list)
        self.ids: dict[str, str] = {}
        for inst in self.instances:
            self.by_base[f"{inst.prefix}{inst.type}.{inst.name}"].append(inst.address)
            for key in ("id", "arn"):
                value = inst.values.get(key)
                if isinstance(value, str) and value:
                    self.ids[value] = inst.address
        config = (doc.get("configuration") or {}).get("root_module") or {}
        self.modules = _config_modules(config)
        self.resources: dict[tuple[str, str], Mapping[str, Any]] = {}
        for path, module in self.modules.items():
            for r in module.get("resources", []):
                if isinstance(r, Mapping) and r.get("mode", "managed") == "managed":
                    self.resources[(path, str(r.get("address")))] = r.get("expressions") or {}

    # --- references ----------------------------------------------------------------------

    def resolve(self, prefix: str, ref: str, depth: int = 0) -> list[str]:
        """The resource instances a configuration reference names, seen from `prefix`."""
        if depth > 16:
            return []
        if ref.startswith("var."):
            return self._through_variable(prefix, ref[4:].split(".", maxsplit=1)[0], depth)
        m = _MODULE_REF.match(ref)
        if m:
            return self._through_output(prefix, m["name"], m["key"], m["out"], depth)
        m = _RESOURCE_REF.match(ref)
        if m and m["base"].startswith("aws_"):
            base = f"{prefix}{m['base']}"
            if m["index"]:
                wanted = f"{base}{m['index']}"
                return [a for a in self.by_base.get(base, []) if a == wanted]
            return list(self.by_base.get(base, []))
        return []  # locals, data sources, each/count: not followed

    def _through_variable(self, prefix: str, name: str, depth: int) -> list[str]:
        if not prefix:
            return []
        parent, call = _split_prefix(prefix)
        calls = self.modules.get(_INDEX.sub("", parent), {}).get("module_calls") or {}
        expr = ((calls.get(call) or {}).get("expressions") or {}).get(name)
        return self._refs(parent, expr, depth)

    def _through_output(
        self, prefix: str, name: str, key: str | None, out: str, depth: int
    ) -> list[str]:
        child = f"{_INDEX.sub('', prefix)}module.{name}."
        output = (self.modules.get(child, {}).get("outputs") or {}).get(out) or {}
        # The called module's instances: module.NAME. or module.NAME[key].
        own = re.compile(rf"^{re.escape(prefix)}module\.{re.escape(name)}(\[[^\]]*\])?\.")
        stems = sorted(
            {
                m.group(0)
                for i in self.instances
                if (m := own.match(i.prefix)) and (key is None or m.group(1) == key)
            }
        )
        found: list[str] = []
        for stem in stems:
            found += [
                a for a in self._refs(stem, output.get("expression"), depth) if a not in found
            ]
        return found

    def _refs(self, prefix: str, expr: object, depth: int) -> list[str]:
        if not isinstance(expr, Mapping):
            return []
        out: list[str] = []
        for ref in expr.get("references", []):
            if isinstance(ref, str):
                out += [a for a in self.resolve(prefix, ref, depth + 1) if a not in out]
        return out

    # --- values --------------------------------------------------------------------------

    def body(self, inst: _Instance) -> dict[str, Any]:
        config_path = _INDEX.sub("", inst.prefix)
        exprs = self.resources.get((config_path, f"{inst.type}.{inst.name}"), {})
        return self._merge(inst, inst.values, exprs, inst.unknown, None)

    def _merge(
        self,
        inst: _Instance,
        values: Mapping[str, Any],
        exprs: Mapping[str, Any],
        unknown: Any,
        inherited: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Planned values, with unknown references filled in from the configuration.

        `inherited` is the expression of a whole list of nested objects written as one
        attribute (`route = [{...}]`): its references stand for each unknown field in it.
        """
        out: dict[str, Any] = {}
        unknown_map = unknown if isinstance(unknown, Mapping) else {}
        for key in sorted(set(values) | set(unknown_map) | set(exprs)):
            value = values.get(key)
            expr = exprs.get(key, inherited)
            unk = unknown_map.get(key)
            if value == "" and not unk:
                continue  # the provider's way of saying "not set"
            if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                sub_exprs = expr if isinstance(expr, list) else []
                whole = expr if isinstance(expr, Mapping) else None
                sub_unknown = unk if isinstance(unk, list) else []
                out[key] = [
                    self._merge(
                        inst,
                        v,
                        _at(sub_exprs, i),
                        sub_unknown[i] if i < len(sub_unknown) else {},
                        whole,
                    )
                    for i, v in enumerate(value)
                ]
                continue
            if (
                unk is True
                or (isinstance(unk, list) and any(u is True for u in unk))
                or value is None
            ):
                refs = self._refs(inst.prefix, expr, 0) if isinstance(expr, Mapping) else []
                if value is None and not refs and unk is None:
                    continue  # absent: not set in the plan
                many = isinstance(unk, list) or isinstance(value, list) or key.endswith(_LIST_ATTRS)
                out[key] = _as_refs(refs, inst, many)
                continue
            out[key] = self._known(value)
        return out

    def _known(self, value: Any) -> Any:
        if isinstance(value, str) and value in self.ids:
            return Ref(self.ids[value])
        if isinstance(value, list):
            return [self._known(v) for v in value]
        return value


def _at(items: list[Any], i: int) -> Mapping[str, Any]:
    item = items[i] if i < len(items) else None
    return item if isinstance(item, Mapping) else {}


def _split_prefix(prefix: str) -> tuple[str, str]:
    """'module.a["x"].module.b.' -> ('module.a["x"].', 'b')."""
    body = prefix[:-1]
    cut = body.rfind(".module.")
    parent, last = (body[: cut + 1], body[cut + 8 :]) if cut >= 0 else ("", body[len("module.") :])
    return parent, _INDEX.sub("", last)


def _as_refs(refs: list[str], inst: _Instance, many: bool) -> Any:
    if many:
        return [Ref(a) for a in refs] if refs else Unknown()
    if len(refs) == 1:
        return Ref(refs[0])
    # Several candidates (for_each over a resource): the one with the same instance key.
    suffix = inst.address[inst.address.rfind("[") :] if inst.address.endswith("]") else None
    same = [a for a in refs if suffix and a.endswith(suffix)]
    return Ref(same[0]) if len(same) == 1 else Unknown(frozenset(refs))


def plan_blocks(doc: Mapping[str, Any], rel: str) -> list[Block]:
    """Every managed resource instance of a plan or state document, as blocks."""
    plan = _Plan(doc)
    return [
        Block(
            type=inst.type,
            name=inst.name,
            body=plan.body(inst),
            file=rel,
            line=None,
            address=inst.address,
        )
        for inst in plan.instances
    ]
