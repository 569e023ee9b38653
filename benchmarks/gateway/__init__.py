"""Gateway benchmark: Yui's gateway against Hive Gateway and Apollo Gateway, one run.

Run: ``.venv/bin/python -m benchmarks.gateway [--duration 20] [--connections 32]
[--only ours,hive,hive-rust,apollo] [--queries cross,deep,single]``. It is a command that
prints a table, not a test. Hive Gateway runs twice: ``hive`` with its JavaScript query
planner, ``hive-rust`` with ``--hive-router-runtime`` (the Rust planner of
``@graphql-hive/router-runtime``). Needs ``wrk`` (Debian: ``apt-get install -y wrk``;
installed on the fly when running as root), ``taskset`` and Node >= 20; the Node gateways
are installed into ``benchmarks/gateway/node/node_modules`` with ``npm ci`` on first run.

Files:
- ``subgraphs.py``: three Strawberry federation subgraphs (accounts, products, reviews).
- ``mock.py``: one process serving them on three ports, memoizing responses by request body.
- ``queries.py``: the operations measured.
- ``supergraph.graphql``: their supergraph, composed by ``@apollo/composition``.
  Regenerate with ``.venv/bin/python -m benchmarks.gateway --compose`` (runs
  ``node/compose.mjs`` on the subgraphs' ``_service { sdl }``).
- ``node/``: package.json/package-lock.json (exact versions; ``npm ci`` runs again when a
  package of package.json is missing or at another version), ``apollo.mjs`` (ApolloServer +
  ApolloGateway), ``compose.mjs``.
- ``__main__.py``: the runner.
"""
