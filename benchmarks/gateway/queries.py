"""The operations the gateway benchmark sends (see ``subgraphs.py`` for the schema).

- ``cross``: products -> reviews -> accounts, the classic federation demo query.
- ``deep``: four sequential entity-fetch levels after the root fetch:
  accounts (users) -> reviews (User.reviews) -> products (Product.name, createdBy)
  -> reviews (User.reviews) and accounts (User.username) -> products (Product.name, price).
- ``single``: one subgraph, no entity fetch: the gateway's fixed cost per request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    document: str
    operation_name: str

    def body(self) -> bytes:
        payload = {"query": self.document, "operationName": self.operation_name, "variables": {}}
        return json.dumps(payload, separators=(",", ":")).encode()


CROSS = Query(
    name="cross",
    description="topProducts(first: 5) with reviews and their authors (3 subgraphs)",
    operation_name="Cross",
    document="""query Cross {
  topProducts(first: 5) {
    upc
    name
    price
    reviews {
      body
      author {
        username
      }
    }
  }
}""",
)

DEEP = Query(
    name="deep",
    description="users -> reviews -> product -> createdBy -> reviews -> product (4 entity levels)",
    operation_name="Deep",
    document="""query Deep {
  users {
    username
    reviews {
      body
      product {
        name
        createdBy {
          username
          reviews {
            body
            product {
              name
              price
            }
          }
        }
      }
    }
  }
}""",
)

SINGLE = Query(
    name="single",
    description="topProducts(first: 3) { upc name price } (one subgraph, no entities)",
    operation_name="Single",
    document="""query Single {
  topProducts(first: 3) {
    upc
    name
    price
  }
}""",
)

QUERIES = [CROSS, DEEP, SINGLE]
