"""Type references (``[String!]!``) as small immutable values, and how they relate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql.language import ast


@dataclass(frozen=True)
class TypeRef:
    """A GraphQL type reference: a named type, wrapped in lists and non-nulls."""

    name: str | None = None  # set for a named type
    of: TypeRef | None = None  # set for a list or a non-null wrapper
    non_null: bool = False
    is_list: bool = False

    @classmethod
    def named(cls, name: str) -> TypeRef:
        return cls(name=name)

    @classmethod
    def from_ast(cls, node: ast.TypeNode) -> TypeRef:
        if isinstance(node, ast.NonNullTypeNode):
            return cls(of=cls.from_ast(node.type), non_null=True)
        if isinstance(node, ast.ListTypeNode):
            return cls(of=cls.from_ast(node.type), is_list=True)
        assert isinstance(node, ast.NamedTypeNode)
        return cls(name=node.name.value)

    def to_ast(self) -> ast.TypeNode:
        if self.non_null:
            assert self.of is not None
            inner = self.of.to_ast()
            assert isinstance(inner, ast.NamedTypeNode | ast.ListTypeNode)
            return ast.NonNullTypeNode(type=inner)
        if self.is_list:
            assert self.of is not None
            return ast.ListTypeNode(type=self.of.to_ast())
        assert self.name is not None
        return ast.NamedTypeNode(name=ast.NameNode(value=self.name))

    @property
    def base(self) -> str:
        ref: TypeRef = self
        while ref.of is not None:
            ref = ref.of
        assert ref.name is not None
        return ref.name

    @property
    def nullable(self) -> TypeRef:
        """This type without its outer non-null."""
        if self.non_null:
            assert self.of is not None
            return self.of
        return self

    def is_required(self) -> bool:
        return self.non_null

    def rename(self, mapping: dict[str, str]) -> TypeRef:
        if self.of is not None:
            return TypeRef(of=self.of.rename(mapping), non_null=self.non_null, is_list=self.is_list)
        assert self.name is not None
        return TypeRef(name=mapping.get(self.name, self.name))

    def __str__(self) -> str:
        if self.non_null:
            return f"{self.of}!"
        if self.is_list:
            return f"[{self.of}]"
        return self.name or ""


# Does a value of named type ``sub`` always fit where named type ``sup`` is expected?
NamedSubtype = Callable[[str, str], bool]


def is_subtype(sub: TypeRef, sup: TypeRef, named_subtype: NamedSubtype | None = None) -> bool:
    """Whether ``sub`` may stand for ``sup`` in an output position (covariance).

    ``T!`` is a subtype of ``T``, lists are covariant, and ``named_subtype`` decides for
    named types (an object for an interface it implements, a member for its union).
    """
    if sup.non_null:
        return sub.non_null and is_subtype(_inner(sub), _inner(sup), named_subtype)
    if sub.non_null:
        return is_subtype(_inner(sub), sup, named_subtype)
    if sup.is_list:
        return sub.is_list and is_subtype(_inner(sub), _inner(sup), named_subtype)
    if sub.is_list:
        return False
    if sub.name == sup.name:
        return True
    return named_subtype is not None and named_subtype(sub.base, sup.base)


def _inner(ref: TypeRef) -> TypeRef:
    assert ref.of is not None
    return ref.of
