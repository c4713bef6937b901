"""Edit one member of a JSON-with-comments file in place, leaving every other byte as it was.

Host config files are edited by people: they hold comments, trailing commas and their own indentation (VS Code's
``mcp.json`` is JSONC; Claude Desktop's and Cursor's files are JSON that people annotate anyway). Parsing them into
a dict and dumping it back would drop all of that, so this module parses with positions and splices text.
No Python library does this without a runtime of its own (``jsonc-edit`` drives Node and downloads a parser on
first use; ``json-five`` round-trips through its own model), hence the small parser here; the tests read every
result back with ``json5`` and, for hosts that use ``JSON.parse``, with ``json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from chatgpt_history_mcp.errors import InstallError

_WHITESPACE = " \t\r\n\ufeff"
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_LITERALS = {"true": True, "false": False, "null": None}


@dataclass
class Node:
    """A parsed value and where it sits in the text (``end`` is exclusive)."""

    value: Any
    start: int
    end: int
    members: list[Member] = field(default_factory=list)  # objects only, in file order


@dataclass
class Member:
    key: str
    key_start: int
    value: Node
    comma_end: int | None  # just past the comma that follows the value, if any


class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text, self.where, self.pos = text, where, 0

    def fail(self, message: str, at: int | None = None) -> InstallError:
        at = self.pos if at is None else at
        line = self.text.count("\n", 0, at) + 1
        column = at - (self.text.rfind("\n", 0, at) + 1) + 1
        return InstallError(f"{self.where} is not valid JSON (line {line}, column {column}: {message}); fix it first")

    def skip(self) -> None:
        """Past whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            if text[self.pos] in _WHITESPACE:
                self.pos += 1
            elif text.startswith("//", self.pos):
                newline = text.find("\n", self.pos)
                self.pos = len(text) if newline < 0 else newline
            elif text.startswith("/*", self.pos):
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    raise self.fail("unclosed /* comment")
                self.pos = close + 2
            else:
                return

    def value(self) -> Node:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("a value is missing")
        char = self.text[self.pos]
        if char == "{":
            return self.object()
        if char == "[":
            return self.array()
        if char == '"':
            start = self.pos
            return Node(self.string(), start, self.pos)
        for word, literal in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                start, self.pos = self.pos, self.pos + len(word)
                return Node(literal, start, self.pos)
        number = _NUMBER.match(self.text, self.pos)
        if number is None:
            raise self.fail(f"unexpected {char!r}")
        self.pos = number.end()
        return Node(json.loads(number.group()), number.start(), number.end())

    def string(self) -> str:
        match = _STRING.match(self.text, self.pos)
        if match is None:
            raise self.fail("a string is not closed or holds a bad escape")
        self.pos = match.end()
        return str(json.loads(match.group()))

    def object(self) -> Node:
        start = self.pos
        self.pos += 1
        node = Node({}, start, start)
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                break
            if not self.text.startswith('"', self.pos):
                raise self.fail('expected a "key" or }')
            key_start = self.pos
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected :")
            self.pos += 1
            child = self.value()
            self.skip()
            comma_end = None
            if self.text.startswith(",", self.pos):
                self.pos += 1
                comma_end = self.pos
            node.members.append(Member(key, key_start, child, comma_end))
            node.value[key] = child.value
            if comma_end is None:
                self.skip()
                if not self.text.startswith("}", self.pos):
                    raise self.fail("expected , or }")
                break
        self.pos += 1
        node.end = self.pos
        return node

    def array(self) -> Node:
        start = self.pos
        self.pos += 1
        items: list[Any] = []
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                break
            items.append(self.value().value)
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                raise self.fail("expected , or ]")
        self.pos += 1
        return Node(items, start, self.pos)


def parse(text: str, where: str = "the file") -> Node | None:
    """The document's root, or None for an empty file (hosts treat it as ``{}``)."""
    parser = _Parser(text, where)
    parser.skip()
    if parser.pos == len(text):
        return None
    root = parser.value()
    parser.skip()
    if parser.pos != len(text):
        raise parser.fail("text after the end of the document")
    return root


class Document:
    """A JSONC text and the edits that set or remove ``root[container][name]``."""

    def __init__(self, text: str, where: str) -> None:
        self.text, self.where = text, where
        self.root = parse(text, where)
        if self.root is not None and not isinstance(self.root.value, dict):
            raise InstallError(f"{where} does not hold a JSON object at the top; fix it first")
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.unit = _indent_unit(text)

    def entries(self, container: str) -> dict[str, Any]:
        box = self._container(container)
        return {} if box is None else dict(box.value)

    def with_member(self, container: str, name: str, value: Any) -> str:
        """The text with ``root[container][name] = value``: a replaced value, or a member added at the end."""
        if self.root is None:
            return self._render({container: {name: value}}, "") + self.newline
        box = self._container(container)
        if box is None:
            return self._insert(self.root, container, {name: value})
        existing = [m for m in box.members if m.key == name]
        if existing:
            member = existing[-1]  # the one JSON.parse keeps
            indent = _line_indent(self.text, member.key_start)
            rendered = self._render(value, indent)
            return self.text[: member.value.start] + rendered + self.text[member.value.end :]
        return self._insert(box, name, value)

    def without_member(self, container: str, name: str) -> str:
        """The text without ``root[container][name]`` (and its comma and line, when it had a line of its own)."""
        text, document = self.text, self
        while (box := document._container(container)) is not None and name in box.value:
            text = _remove(text, box.members, max(i for i, m in enumerate(box.members) if m.key == name))
            document = Document(text, self.where)  # a key given twice: the earlier one goes too
        return text

    # -- helpers

    def _container(self, container: str) -> Node | None:
        if self.root is None:
            return None
        found = [m for m in self.root.members if m.key == container]
        if not found:
            return None
        node = found[-1].value
        if not isinstance(node.value, dict):
            raise InstallError(f'{self.where}: "{container}" is not a JSON object; fix it first')
        return node

    def _render(self, value: Any, indent: str) -> str:
        dumped = json.dumps(value, indent=self.unit, ensure_ascii=False)
        return dumped.replace("\n", self.newline + indent)

    def _insert(self, node: Node, key: str, value: Any) -> str:
        """``node`` with a new last member, in the file's own style (indentation, trailing commas)."""
        text = self.text
        if node.members:
            indent = _line_indent(text, node.members[0].key_start)
        else:
            indent = _line_indent(text, node.start) + self.unit
        member = json.dumps(key, ensure_ascii=False) + ": " + self._render(value, indent)
        close = node.end - 1
        anchor = _strip_back(text, close)  # after the last token (a value, a comma or a comment) before "}"
        last = node.members[-1] if node.members else None
        trailing = last is not None and last.comma_end is not None
        if anchor <= node.start + 1:
            # An empty object: the member on a line of its own, the closing brace on the next.
            closing = self.newline + _line_indent(text, node.start) if "\n" not in text[node.start : node.end] else ""
            return text[: node.start + 1] + self.newline + indent + member + closing + text[node.start + 1 :]
        if "\n" not in text[node.start : node.end]:  # a one-line object stays on one line
            member = json.dumps(key, ensure_ascii=False) + ": " + json.dumps(value, ensure_ascii=False)
            return text[:anchor] + (" " if trailing else ", ") + member + ("," if trailing else "") + text[anchor:]
        insert = self.newline + indent + member + ("," if trailing else "")
        text = text[:anchor] + insert + text[anchor:]
        if last is not None and not trailing:  # the comma the new member needs, right after the last value
            text = text[: last.value.end] + "," + text[last.value.end :]
        return text


def _remove(text: str, members: list[Member], index: int) -> str:
    """``text`` without ``members[index]``; a member alone on its line takes the line with it."""
    member = members[index]
    line_start = text.rfind("\n", 0, member.key_start) + 1
    own_line = not text[line_start : member.key_start].strip(" \t")
    if member.comma_end is not None:
        start, end = member.key_start, member.comma_end
        line_end = _line_end(text, end)
        if own_line and line_end is not None:
            start, end = line_start, line_end
        return text[:start] + text[end:]
    # The last member: the comma before it goes (comments after that comma stay), and so does its line.
    start = _strip_back(text, line_start) if own_line else member.key_start
    if index == 0:
        return text[:start] + text[member.value.end :]
    comma_end = members[index - 1].comma_end
    assert comma_end is not None  # a member that is not the last one is followed by a comma
    kept = text[comma_end:start] if own_line else ""  # on the previous member's line: its comments stay
    return text[: comma_end - 1] + kept + text[member.value.end :]


def _strip_back(text: str, position: int) -> int:
    """The position just after the last non-whitespace character before ``position``."""
    while position > 0 and text[position - 1] in _WHITESPACE:
        position -= 1
    return position


def _line_indent(text: str, position: int) -> str:
    line_start = text.rfind("\n", 0, position) + 1
    prefix = text[line_start:position]
    return prefix[: len(prefix) - len(prefix.lstrip(" \t"))]


def _line_end(text: str, position: int) -> int | None:
    """Just past the newline that ends ``position``'s line, when only whitespace is left on it."""
    newline = text.find("\n", position)
    if newline < 0 or text[position:newline].strip(" \t\r"):
        return None
    return newline + 1


def _indent_unit(text: str) -> str:
    """The file's indentation step: the leading whitespace of its first indented line (two spaces by default)."""
    for line in text.splitlines():
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            return line[: len(line) - len(stripped)]
    return "  "
