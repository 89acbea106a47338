"""Docker-free local stack: DynamoDB Local, moto server, Lean simulator, API emulator and pollers."""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "common")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)  # the shared package, as the Lambda layer provides it
