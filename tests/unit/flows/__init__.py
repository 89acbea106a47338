"""Promises that hold only across handlers: a webhook through the sync to the push, the stream and the reconciler."""
