"""Projects and custom GPTs: the ids conversations carry, joined with the names a sync fetched, and the one
reading of a ``project`` filter, which may be a name as well as an id.

An export carries only ids (``g-p-…`` a project, ``g-…`` a custom GPT); the names are the backend's, kept in the
archive's ``gizmos`` table. A name matches whatever its case, accents or Unicode form ("moving to zurich" finds
"Moving to Zürich"), but only whole: a filter that could mean two things is refused, naming both.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from chatgpt_history_mcp.errors import BadArgument, NotFound
from chatgpt_history_mcp.model import Gizmo, from_epoch, gizmo_kind
from chatgpt_history_mcp.results import ProjectSummary
from chatgpt_history_mcp.search.analysis import fold
from chatgpt_history_mcp.store.archive import Archive

#: At most this many candidates are named in an error.
CANDIDATES = 8
SYNC_HINT = "names come from a sync (the sync_history tool, `chatgpt-history-mcp sync`), an export holds only ids"


def summaries(archive: Archive, mask: Callable[[str], str]) -> list[ProjectSummary]:
    """Every project and custom GPT the history knows (from its conversations, or named by a sync), most
    recently active first."""
    activity = archive.project_activity()
    named = archive.gizmos()
    found = [_summary(pid, named.get(pid), *activity.get(pid, (0, None)), mask) for pid in sorted({*activity, *named})]
    found.sort(key=lambda p: p.last_activity.timestamp() if p.last_activity else float("-inf"), reverse=True)
    return found


def _summary(
    pid: str, gizmo: Gizmo | None, count: int, last: float | None, mask: Callable[[str], str]
) -> ProjectSummary:
    name = gizmo.name if gizmo is not None else None
    return ProjectSummary(
        project_id=pid,
        name=mask(name) if name else None,
        kind=gizmo.kind if gizmo is not None else gizmo_kind(pid),
        conversations=count,
        last_activity=from_epoch(last),
        deleted=gizmo.deleted if gizmo is not None else False,
    )


def kinds(archive: Archive) -> tuple[int, int]:
    """How many projects and how many custom GPTs :func:`summaries` lists (without counting conversations)."""
    named = archive.gizmos()
    found = [named[pid].kind if pid in named else gizmo_kind(pid) for pid in archive.project_ids() | set(named)]
    return found.count("project"), found.count("gpt")


def names(archive: Archive, mask: Callable[[str], str]) -> dict[str, str]:
    """Each named project's and custom GPT's name, by id: what results show as ``project_name``."""
    return {pid: mask(g.name) for pid, g in archive.gizmos().items() if g.name}


def note(projects: list[ProjectSummary]) -> str | None:
    """What a listing of ``projects`` should say: which have no name and why, which ChatGPT no longer has."""
    parts: list[str] = []
    unnamed = [p for p in projects if p.name is None and not p.deleted]
    if unnamed and len(unnamed) == len(projects):
        parts.append(f"no names yet: {SYNC_HINT}")
    elif unnamed:
        parts.append(f"{len(unnamed)} without a name yet (new since the last sync): {SYNC_HINT}")
    deleted = [p for p in projects if p.deleted]
    if deleted:
        gone = ", ".join(f"{p.name!r} ({p.project_id})" if p.name else p.project_id for p in deleted)
        parts.append(f"deleted in ChatGPT (its conversations are kept here): {gone}")
    return "; ".join(parts) or None


def name_key(name: str) -> str:
    """What two names must share to be the same name: case, accents (as search folds them) and spacing aside."""
    return " ".join(fold(name).casefold().split())


def resolve(archive: Archive, value: str | None, mask: Callable[[str], str]) -> str | None:
    """The id a ``project`` filter means: an id as given, else the one project or custom GPT of that name.
    An unknown id stays as given (it matches nothing, like any filter); an unknown or ambiguous name is refused
    with the candidates."""
    if value is None or not value.strip():
        return None
    wanted = value.strip()
    named = archive.gizmos()
    if wanted in named:
        return wanted
    key = name_key(wanted)
    matches = [g for g in named.values() if g.name and name_key(mask(g.name)) == key]
    if len(matches) == 1:
        return matches[0].id
    if matches:
        raise BadArgument(
            f"project={value!r} could be {len(matches)}: {_listed(matches, mask)}; pass the project_id instead"
        )
    if wanted.startswith("g-"):
        return wanted
    raise NotFound(f"no project or custom GPT is named {value!r}; {_candidates(archive, key, named, mask)}")


def _candidates(archive: Archive, key: str, named: dict[str, Gizmo], mask: Callable[[str], str]) -> str:
    known = [g for g in named.values() if g.name]
    if not known:
        ids = sorted(archive.project_ids() | set(named))
        if not ids:
            return "this history has no project or custom GPT conversations"
        shown = ", ".join(ids[:CANDIDATES]) + (f" and {len(ids) - CANDIDATES} more" if len(ids) > CANDIDATES else "")
        return f"no names are known yet: {SYNC_HINT}. By id: {shown}"
    by_key = {name_key(mask(g.name or "")): g for g in known}
    close = [k for k in by_key if key in k][:CANDIDATES] or difflib.get_close_matches(
        key, list(by_key), CANDIDATES, 0.5
    )
    if close:
        return f"did you mean: {_listed([by_key[k] for k in close], mask)}"
    known.sort(key=lambda g: name_key(g.name or ""))
    more = f" and {len(known) - CANDIDATES} more (list_projects lists them)" if len(known) > CANDIDATES else ""
    return f"known: {_listed(known[:CANDIDATES], mask)}{more}"


def _listed(gizmos: list[Gizmo], mask: Callable[[str], str]) -> str:
    return ", ".join(f"{'project' if g.kind == 'project' else 'GPT'} {mask(g.name or '')!r} ({g.id})" for g in gizmos)
