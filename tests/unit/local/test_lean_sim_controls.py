"""The simulator's view of what Lean holds, and a deletion Lean makes on its own side (no webhook)."""

from __future__ import annotations

import requests

from local.lean_sim import LeanSimulator

CUSTOMER, SOURCE = "5B1C8D7E-2B4A-4C6D-9E8F-0A1B2C3D4E5F", "ps-1"


def started() -> tuple[LeanSimulator, str]:
    sim = LeanSimulator(client_id="app", client_secret="secret", app_token="token")
    return sim, f"http://127.0.0.1:{sim.serve('127.0.0.1', 0)}"


def test_held_lists_what_lean_holds_and_a_lean_side_deletion_makes_its_get_404():
    sim, url = started()
    try:
        put = requests.put(f"{url}/_sim/customers/{CUSTOMER}/payment-sources/{SOURCE}", json={"id": SOURCE}, timeout=5)
        assert put.status_code == 200
        held = requests.get(f"{url}/_sim/customers/{CUSTOMER.lower()}/payment-sources", timeout=5).json()
        assert [s["id"] for s in held] == [SOURCE]
        assert requests.get(f"{url}/_sim/customers/other/payment-sources", timeout=5).json() == []

        gone = requests.delete(f"{url}/_sim/customers/{CUSTOMER}/payment-sources/{SOURCE}", timeout=5)
        assert gone.status_code == 200
        assert requests.get(f"{url}/_sim/customers/{CUSTOMER}/payment-sources", timeout=5).json() == []
        lean = requests.get(
            f"{url}/customers/v1/{CUSTOMER}/payment-sources/{SOURCE}", headers={"lean-app-token": "token"}, timeout=5
        )
        assert lean.status_code == 404 and lean.json()["status"]
        again = requests.delete(f"{url}/_sim/customers/{CUSTOMER}/payment-sources/{SOURCE}", timeout=5)
        assert again.status_code == 404
    finally:
        sim.shutdown()
