"""Fakes that several test modules share: platforms' HTTP APIs played by local servers, and publishers.

- http_platform: a platform's API on pytest-httpserver that records every call as a `Call` (Discord,
  Mastodon, Telegram, Takahē's proxy, account settings).
- api: a smaller base of the same kind, routes and checks only (Facebook, LinkedIn, Pinterest, X).
- publisher: a publisher and the platform state it writes to, for the publish runner's tests.
"""
