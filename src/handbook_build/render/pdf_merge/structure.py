"""The book's structure tree (tagged chunks, ``pdf_tags``): the elements under each chunk's
``/Document`` become children of one ``/Document`` of the book, each page's ``/StructParents``
key is moved past the keys of the chunks before it and the parent tree is rebuilt with those
keys. A chunk repeated (the blank verso) adds no structure: it has no content to tag."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["StructureTree"]


class StructureTree:
    """The book's structure tree, made of its tagged chunks' trees as they are added."""

    def __init__(self) -> None:
        self.kids: list[Any] = []  # cloned elements under the chunks' /Document elements
        self.nums: list[tuple[int, Any]] = []  # (new parent-tree key, cloned value)
        self.next_key = 0
        self.namespace: Any = None

    def add_chunk(self, writer: Any, reader: Any, added: Sequence[Any]) -> None:
        from pypdf.generic import NameObject, NumberObject

        root = reader.trailer["/Root"].get_object().get("/StructTreeRoot")
        if root is None:
            return
        root = root.get_object()
        offset = self.next_key
        keys: list[int] = []
        for source, page in zip(reader.pages, added, strict=True):
            if "/StructParents" in source:
                key = int(source["/StructParents"])
                page[NameObject("/StructParents")] = NumberObject(offset + key)
                keys.append(key)
        documents = root.get("/K")
        documents = documents.get_object() if documents is not None else []
        documents = documents if isinstance(documents, list) else [documents]
        for document in documents:
            element = document.get_object()
            if self.namespace is None and "/NS" in element:
                self.namespace = element["/NS"].clone(writer, ignore_fields=("/P",))
            kids = element.get("/K")
            kids = kids.get_object() if kids is not None else []
            for kid in kids if isinstance(kids, list) else [kids]:
                # /P is set again in write(): cloning it would copy the chunk's whole tree.
                self.kids.append(kid.clone(writer, ignore_fields=("/P",)))
        tree = root.get("/ParentTree")
        nums = tree.get_object().get("/Nums", []) if tree is not None else []
        for index in range(0, len(nums) - 1, 2):
            key = int(nums[index])
            self.nums.append((offset + key, nums[index + 1].clone(writer, ignore_fields=("/P",))))
            keys.append(key)
        next_key = root.get("/ParentTreeNextKey")
        top = max([*keys, int(next_key) - 1 if next_key is not None else -1], default=-1)
        self.next_key = offset + top + 1

    def write(self, writer: Any) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

        if not self.kids and not self.nums:
            return
        root = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/StructTreeRoot")}))
        document = DictionaryObject({
            NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject(
                "/Document"), NameObject("/P"): root,
            NameObject("/K"): ArrayObject(self.kids)})
        if self.namespace is not None:
            document[NameObject("/NS")] = self.namespace
        document_ref = writer._add_object(document)
        for kid in self.kids:
            _set_parents(kid, document_ref)
        nums = ArrayObject()
        for key, value in sorted(self.nums, key=lambda item: item[0]):
            nums.extend([NumberObject(key), value])
        entries = root.get_object()
        entries[NameObject("/K")] = ArrayObject([document_ref])
        entries[NameObject("/ParentTree")] = writer._add_object(
            DictionaryObject({NameObject("/Nums"): nums}))
        entries[NameObject("/ParentTreeNextKey")] = NumberObject(self.next_key)
        if self.namespace is not None:
            entries[NameObject("/Namespaces")] = ArrayObject([self.namespace])
        writer.root_object[NameObject("/StructTreeRoot")] = root


def _set_parents(reference: Any, parent: Any) -> None:
    """``/P`` of the structure element at ``reference`` and of every element under it."""
    from pypdf.generic import IndirectObject, NameObject

    stack = [(reference, parent)]
    while stack:
        current, owner = stack.pop()
        element = current.get_object()
        if not hasattr(element, "get") or "/S" not in element:
            continue  # a marked-content or object reference, or an MCID number
        element[NameObject("/P")] = owner
        kids = element.get("/K")
        if kids is None:
            continue
        resolved = kids.get_object()
        items = resolved if isinstance(resolved, list) else [kids]
        # /P must be an indirect reference: a direct kid's children point past it.
        owner_here = current if isinstance(current, IndirectObject) else owner
        stack.extend((kid, owner_here) for kid in items if hasattr(kid, "get_object"))
