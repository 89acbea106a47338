"""Print template.yaml as CloudFormation sees it after the SAM transform (run with the SAM CLI's Python).

Code locations are replaced by placeholder S3 URIs first, as `sam package` would; nothing is called in AWS.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

CODE_KEYS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def main(path: str) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "me-central-1")
    template = yaml_parse(Path(path).read_text())
    for logical_id, resource in template["Resources"].items():
        key = CODE_KEYS.get(resource["Type"])
        if key:
            resource["Properties"][key] = f"s3://placeholder/{logical_id}.zip"
    json.dump(transform(template, {}, None), sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
