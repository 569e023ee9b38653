"""The three federated subgraphs the gateway benchmark runs against (in-memory data).

- accounts: ``User @key(id)`` with ``Query.users`` and ``Query.user(id:)``.
- products: ``Product @key(upc)`` with ``Query.topProducts(first:)``; ``Product.createdBy``
  is a ``User`` reference, so a query can hop products -> accounts/reviews -> products.
- reviews: ``Review @key(id)`` with ``author: User`` and ``product: Product``, and adds
  ``User.reviews`` and ``Product.reviews``.

Every resolver is synchronous and deterministic: the mock server (``mock.py``) executes a
request once with ``schema.execute_sync`` and replays the bytes afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from strawberry.federation import Schema
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

# ---------------------------------------------------------------- data

N_USERS = 10
N_PRODUCTS = 10
REVIEWS_PER_PRODUCT = 2


@dataclass(frozen=True)
class UserRow:
    id: str
    username: str
    name: str


@dataclass(frozen=True)
class ProductRow:
    upc: str
    name: str
    price: int
    weight: int
    created_by: str


@dataclass(frozen=True)
class ReviewRow:
    id: str
    body: str
    author_id: str
    product_upc: str


USERS = {
    f"u{i}": UserRow(id=f"u{i}", username=f"user{i}", name=f"User Number {i}")
    for i in range(1, N_USERS + 1)
}
PRODUCTS = {
    f"p{i}": ProductRow(
        upc=f"p{i}",
        name=f"Product {i}",
        price=100 * i + 99,
        weight=10 + i,
        created_by=f"u{(i * 3) % N_USERS + 1}",
    )
    for i in range(1, N_PRODUCTS + 1)
}
REVIEWS: dict[str, ReviewRow] = {}
for _p in range(1, N_PRODUCTS + 1):
    for _k in range(REVIEWS_PER_PRODUCT):
        _n = len(REVIEWS) + 1
        REVIEWS[f"r{_n}"] = ReviewRow(
            id=f"r{_n}",
            body=f"Review {_n}: product {_p} is {'great' if _n % 3 else 'fine'}.",
            author_id=f"u{(_p + _k * 5 - 1) % N_USERS + 1}",
            product_upc=f"p{_p}",
        )
REVIEWS_BY_AUTHOR: dict[str, list[ReviewRow]] = {}
REVIEWS_BY_PRODUCT: dict[str, list[ReviewRow]] = {}
for _r in REVIEWS.values():
    REVIEWS_BY_AUTHOR.setdefault(_r.author_id, []).append(_r)
    REVIEWS_BY_PRODUCT.setdefault(_r.product_upc, []).append(_r)


# ---------------------------------------------------------------- accounts


@strawberry.federation.type(name="User", keys=["id"])
class AccountsUser:
    id: strawberry.ID
    username: str
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> AccountsUser | None:
        row = USERS.get(str(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: UserRow) -> AccountsUser:
        return cls(id=strawberry.ID(row.id), username=row.username, name=row.name)


@strawberry.type(name="Query")
class AccountsQuery:
    @strawberry.field
    def users(self) -> list[AccountsUser]:
        return [AccountsUser.from_row(row) for row in USERS.values()]

    @strawberry.field
    def user(self, id: strawberry.ID) -> AccountsUser | None:
        return AccountsUser.resolve_reference(id)


# ---------------------------------------------------------------- products


@strawberry.federation.type(name="User", keys=[Key(fields=FieldSet("id"), resolvable=False)])
class ProductsUser:
    id: strawberry.ID


@strawberry.federation.type(name="Product", keys=["upc"])
class ProductsProduct:
    upc: str
    name: str
    price: int
    weight: int
    created_by_id: strawberry.Private[str]

    @strawberry.field
    def created_by(self) -> ProductsUser:
        return ProductsUser(id=strawberry.ID(self.created_by_id))

    @classmethod
    def resolve_reference(cls, upc: str) -> ProductsProduct | None:
        row = PRODUCTS.get(upc)
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ProductRow) -> ProductsProduct:
        return cls(
            upc=row.upc,
            name=row.name,
            price=row.price,
            weight=row.weight,
            created_by_id=row.created_by,
        )


@strawberry.type(name="Query")
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int = 5) -> list[ProductsProduct]:
        return [ProductsProduct.from_row(row) for row in list(PRODUCTS.values())[:first]]


# ---------------------------------------------------------------- reviews


@strawberry.federation.type(name="User", keys=["id"])
class ReviewsUser:
    id: strawberry.ID

    @strawberry.field
    def reviews(self) -> list[ReviewsReview]:
        return [ReviewsReview.from_row(r) for r in REVIEWS_BY_AUTHOR.get(str(self.id), [])]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewsUser:
        return cls(id=id)


@strawberry.federation.type(name="Product", keys=["upc"])
class ReviewsProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[ReviewsReview]:
        return [ReviewsReview.from_row(r) for r in REVIEWS_BY_PRODUCT.get(self.upc, [])]

    @classmethod
    def resolve_reference(cls, upc: str) -> ReviewsProduct:
        return cls(upc=upc)


@strawberry.federation.type(name="Review", keys=["id"])
class ReviewsReview:
    id: strawberry.ID
    body: str
    author_id: strawberry.Private[str]
    product_upc: strawberry.Private[str]

    @strawberry.field
    def author(self) -> ReviewsUser:
        return ReviewsUser(id=strawberry.ID(self.author_id))

    @strawberry.field
    def product(self) -> ReviewsProduct:
        return ReviewsProduct(upc=self.product_upc)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ReviewsReview | None:
        row = REVIEWS.get(str(id))
        return cls.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: ReviewRow) -> ReviewsReview:
        return cls(
            id=strawberry.ID(row.id),
            body=row.body,
            author_id=row.author_id,
            product_upc=row.product_upc,
        )


@strawberry.type(name="Query")
class ReviewsQuery:
    @strawberry.field
    def review(self, id: strawberry.ID) -> ReviewsReview | None:
        return ReviewsReview.resolve_reference(id)


# ---------------------------------------------------------------- schemas

SCHEMAS: dict[str, Schema] = {
    "accounts": Schema(query=AccountsQuery, types=[AccountsUser]),
    "products": Schema(query=ProductsQuery, types=[ProductsProduct, ProductsUser]),
    "reviews": Schema(query=ReviewsQuery, types=[ReviewsUser, ReviewsProduct, ReviewsReview]),
}
# The mock serves subgraph NAME on PORTS[NAME]; supergraph.graphql names these URLs.
PORTS = {"accounts": 47101, "products": 47102, "reviews": 47103}


def url(name: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{PORTS[name]}/graphql"


def sdl(name: str) -> str:
    """The subgraph SDL as ``_service { sdl }`` returns it (what composition reads)."""
    result = SCHEMAS[name].execute_sync("{ _service { sdl } }")
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors}")
    assert result.data is not None
    return str(result.data["_service"]["sdl"])
