"""Read `template.yaml`: functions, HTTP routes, tables, queues and event sources, with references resolved
to local values. The local stack and the tests create resources from these definitions only."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short tags (!Ref, !GetAtt, !Sub ...) into long-form dicts."""


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    iam_auth: bool

    @property
    def regex(self) -> re.Pattern[str]:
        pattern = re.sub(r"\{([a-zA-Z_]+)\}", r"(?P<\1>[^/]+)", self.path)
        return re.compile(f"^{pattern}$")


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    environment: dict[str, Any]
    events: dict[str, Any] = field(default_factory=dict)


def resources(template: dict[str, Any] | None = None) -> dict[str, Any]:
    return (template or load())["Resources"]


def of_type(kind: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in resources(template).items() if v["Type"] == kind}


def functions(template: dict[str, Any] | None = None) -> dict[str, FunctionSpec]:
    template = template or load()
    globals_ = template.get("Globals", {}).get("Function", {})
    specs = {}
    for logical_id, res in of_type("AWS::Serverless::Function", template).items():
        props = res["Properties"]
        env = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        }
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_dir=ROOT / props["CodeUri"],
            handler=props["Handler"],
            timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
            environment=env,
            events=props.get("Events", {}),
        )
    return specs


def http_routes(template: dict[str, Any] | None = None) -> list[Route]:
    routes = []
    for spec in functions(template).values():
        for event in spec.events.values():
            if event["Type"] == "HttpApi":
                props = event["Properties"]
                auth = (props.get("Auth") or {}).get("Authorizer") == "AWS_IAM"
                routes.append(Route(props["Method"].upper(), props["Path"], spec.logical_id, auth))
    return routes


@dataclass(frozen=True)
class EventSource:
    """An `AWS::Lambda::EventSourceMapping` of a function: `kind` is SQS or DynamoDB (from the resource it reads)."""

    logical_id: str
    kind: str
    source_arn: Any
    properties: dict[str, Any]


_SOURCE_KINDS = {("AWS::SQS::Queue", "Arn"): "SQS", ("AWS::DynamoDB::Table", "StreamArn"): "DynamoDB"}


def event_sources(function_id: str, template: dict[str, Any] | None = None) -> list[EventSource]:
    """The event source mappings whose `FunctionName` is the function, in template order."""
    template = template or load()
    found = []
    for logical_id, res in of_type("AWS::Lambda::EventSourceMapping", template).items():
        props = res["Properties"]
        if props["FunctionName"] != {"Ref": function_id}:
            continue
        source, attribute = props["EventSourceArn"]["Fn::GetAtt"]
        kind = _SOURCE_KINDS[(resources(template)[source]["Type"], attribute)]
        found.append(EventSource(logical_id, kind, props["EventSourceArn"], props))
    return found


def event_source(function_id: str, kind: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """Properties of the function's (single) event source mapping of `kind` (SQS, DynamoDB)."""
    for source in event_sources(function_id, template):
        if source.kind == kind:
            return source.properties
    raise KeyError(f"{function_id} has no {kind} event source")


def filter_patterns(function_id: str, template: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The FilterCriteria patterns of the function's DynamoDB stream event source, parsed."""
    props = event_source(function_id, "DynamoDB", template)
    return [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]


NO_VALUE = object()  # AWS::NoValue: the key or list item it stands for is left out


def condition(name: str, refs: dict[str, Any], template: dict[str, Any] | None = None) -> bool:
    """The value of one of the template's Conditions, its parameters taken from `refs`."""
    return bool(_evaluate((template or load())["Conditions"][name], refs, template))


def _evaluate(value: Any, refs: dict[str, Any], template: dict[str, Any] | None) -> Any:
    ((fn, arg),) = value.items()
    if fn == "Fn::Equals":
        left, right = (resolve(a, refs, template) for a in arg)
        return str(left) == str(right)
    if fn == "Fn::Not":
        return not _evaluate(arg[0], refs, template)
    if fn == "Fn::Or":
        return any(_evaluate(a, refs, template) for a in arg)
    if fn == "Fn::And":
        return all(_evaluate(a, refs, template) for a in arg)
    if fn in ("Condition", "Fn::Condition"):  # `!Condition X` reads as Fn::Condition
        return condition(arg, refs, template)
    raise ValueError(f"unsupported condition function {fn}")


def resolve(value: Any, refs: dict[str, Any], template: dict[str, Any] | None = None) -> Any:
    """Resolve Ref / GetAtt / Sub / If against `refs` (logical id or parameter -> local value); a branch that is
    AWS::NoValue leaves its key or list item out."""
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            if arg == "AWS::NoValue":
                return NO_VALUE
            if arg not in refs:
                raise KeyError(f"no local value for Ref {arg}")
            return refs[arg]
        if fn == "Fn::GetAtt":
            return refs[".".join(arg)]
        if fn == "Fn::Sub":
            if isinstance(arg, list):
                text, local = arg
                values = {**refs, **{k: resolve(v, refs, template) for k, v in local.items()}}
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(values[m.group(1)]), text)
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(refs[m.group(1)]), arg)
        if fn == "Fn::If":
            name, when_true, when_false = arg
            return resolve(when_true if condition(name, refs, template) else when_false, refs, template)
        if fn == "Fn::Select":
            index, items = arg
            return resolve(items, refs, template)[int(index)]
        if fn == "Fn::Split":
            separator, text = arg
            return str(resolve(text, refs, template)).split(separator)
    if isinstance(value, dict):
        resolved = {k: resolve(v, refs, template) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(value, list):
        return [v for v in (resolve(v, refs, template) for v in value) if v is not NO_VALUE]
    return value


def parameter_defaults(template: dict[str, Any] | None = None) -> dict[str, Any]:
    return {k: v.get("Default", "") for k, v in (template or load())["Parameters"].items()}
