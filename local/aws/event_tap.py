"""What the domain events' bus delivered: a local rule copies every event put on the bus (moto's EventBridge) to a
queue, as a rule with an SQS target would; this poller drains that queue as events arrive (a backlog of thousands
makes each of moto's receives slower) into the list `GET /_local/domain-events` serves, oldest first."""

from __future__ import annotations

import json
import threading
from typing import Any

from local.aws.pollers import Poller


class EventTap(Poller):
    name = "event-tap"

    def __init__(self, sqs: Any, queue_url: str):
        super().__init__()
        self._sqs, self._url = sqs, queue_url
        self._seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def poll_once(self) -> bool:
        """Move one batch from the queue to the list; True when there was one."""
        with self._lock:
            messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return False
            self._seen += [json.loads(m["Body"]) for m in messages]
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
            return True

    def events(self) -> list[dict[str, Any]]:
        """Every event delivered so far, each as EventBridge hands it to a target."""
        while self.poll_once():  # what arrived since the poller's last look
            pass
        with self._lock:
            return list(self._seen)
