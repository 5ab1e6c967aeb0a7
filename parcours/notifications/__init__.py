"""Outbox for e-mail and SMS: idempotent enqueue, claimed sends, retries with backoff, never silently dropped."""
