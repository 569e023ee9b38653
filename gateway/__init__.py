"""Yui's federation gateway: a pure-Python Apollo Federation 2 engine.

Compose subgraph SDLs into a supergraph, plan client operations into fetches against
subgraphs, execute the plans over in-process, HTTP or WebSocket transports, and serve the
federated API. The package depends on no Yui code: Yui's subgraphs are merely its first
users.
"""
