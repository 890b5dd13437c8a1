"""Talking to the portal: the client (httpx), the sync worker and the enrollment code pool."""
