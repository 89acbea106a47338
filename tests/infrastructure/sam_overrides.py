"""Parse `sam deploy` arguments as SAM CLI does (run with the SAM CLI's Python): print the parameter overrides.

Reads a JSON object on stdin: `{"argv": [...]}` (the arguments after `sam deploy`) or `{"config": "..."}` (a
samconfig.toml `parameter_overrides` string). `--parameter-overrides` is SAM CLI's own option (`OptionNargs` with
`CfnParameterOverridesType`), so its values are split and unquoted exactly as `sam deploy` splits and unquotes them.
"""

from __future__ import annotations

import json
import sys

import click
from samcli.cli.types import CfnParameterOverridesType
from samcli.commands._utils.options import parameter_override_click_option


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@parameter_override_click_option()
def deploy(parameter_overrides: dict) -> None:
    print(json.dumps(parameter_overrides))


def main() -> None:
    request = json.load(sys.stdin)
    if "config" in request:
        print(json.dumps(CfnParameterOverridesType().convert(request["config"], None, None)))
        return
    deploy(request["argv"], standalone_mode=True)


if __name__ == "__main__":
    main()
