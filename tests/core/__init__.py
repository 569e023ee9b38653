"""Tests of the shared kernel: errors, connections and events every subgraph relies on."""
