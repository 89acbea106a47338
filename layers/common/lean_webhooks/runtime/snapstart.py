"""Lambda SnapStart (an option of the synchronous functions): what a resumed execution environment refreshes.

Init opens no connection and reads no secret (a test holds the handlers to that); boto3 clients resolve
credentials per call from the provider Lambda sets for SnapStart, and ids come from `uuid4` (os.urandom). Only
the `random` module's state (botocore's and urllib3's retry jitter) would be the same in every environment
resumed from one snapshot, so it is reseeded after each restore.
"""

from __future__ import annotations

import random


def reseed() -> None:
    random.seed()


def register_hooks() -> None:
    """Register the after-restore hook where Lambda's Python runtime provides `snapshot_restore_py`."""
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:  # not in Lambda (local stack, tests): nothing is ever restored
        return
    register_after_restore(reseed)
