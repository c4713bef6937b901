"""A sync brings the files of the conversations it stores (``chatgpt-files-and-canvas.md`` §2), resumably: the
files no source had are a persistent wanted list, downloaded a chunk at a time, against a fake backend on
127.0.0.1 that serves the sample export's conversations and files."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp import account
from chatgpt_history_mcp.chatgpt.backend import BackendClient, Credentials, RetryPolicy
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.ingest.sync import sync_history
from chatgpt_history_mcp.results import SyncReport, size_text
from chatgpt_history_mcp.settings import ENV_SYNC_FILES, Settings
from chatgpt_history_mcp.store.history import HistoryStore
from fake_backend import FakeBackend, export_account
from sample import FILES, KAYAK_PDF, MISSING_FILES, PDF_WORD, SAMPLE

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)
CONTENT = "/backend-api/estuary/content"  # where the fake's signed links point
FILE_CALLS = "/backend-api/files/*"  # both forms of the download endpoint
PDF = FILES["file-Rk8vN2mQp4LxT7bWc9Ye3Ax"]
WANTED = len(FILES) + len(MISSING_FILES)  # every file the sample's messages name


@pytest.fixture
def backend() -> Any:
    with FakeBackend(export_account()) as fb:
        yield fb


async def run_sync(store: HistoryStore, fb: FakeBackend, **kwargs: Any) -> SyncReport:
    async with BackendClient(Credentials(session_token=fb.session_token), base_url=fb.url, retry=FAST) as client:
        return await sync_history(store, client, **kwargs)


def sample_bytes(entry: str) -> bytes:
    with zipfile.ZipFile(SAMPLE) as z:
        return z.read(entry)


def fetched_ids(fb: FakeBackend) -> list[str]:
    """The files whose bytes were fetched (each signed link's ``id``)."""
    return [r.query["id"] for r in fb.requests_to(CONTENT) if r.status == 200]


def attachments(store: HistoryStore, conversation_id: str) -> dict[str, Any]:
    page = store.get_conversation(conversation_id, limit=200)
    return {a.file_id: a for m in page.messages for a in m.attachments}


def found(store: HistoryStore, word: str) -> list[str]:
    return [r.conversation_id for r in store.search(word).results]


def export_without(tmp_path: Path, entry: str) -> Path:
    """The sample export, rewritten without one of its files."""
    target = tmp_path / "export-without-a-file.zip"
    with zipfile.ZipFile(SAMPLE) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename != entry:
                out.writestr(info, source.read(info))
    return target


async def test_a_sync_brings_every_file_its_conversations_name(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    store = make_store()
    report = await run_sync(store, backend)
    assert report.outcome == "complete", report.error
    assert (report.files_downloaded, report.files_gone, report.files_skipped) == (len(FILES), len(MISSING_FILES), 0)
    assert report.files_bytes == sum(len(sample_bytes(f.entry)) for f in FILES.values())
    assert f"{len(FILES)} files downloaded ({size_text(report.files_bytes)})" in report.summary()
    assert sorted(fetched_ids(backend)) == sorted(FILES)  # each once
    for f in FILES.values():
        data, mime = store.file_bytes(f.file_id)
        assert (data, mime) == (sample_bytes(f.entry), f.mime_type), f.file_id  # the type is the bytes'
        shown = attachments(store, f.conversation_id)[f.file_id]  # type: ignore[arg-type]
        assert (shown.available, shown.mime_type, shown.size) == (True, f.mime_type, len(data))
    assert found(store, PDF_WORD) == [KAYAK_PDF]
    assert set(store.archive.gone_files()) == set(MISSING_FILES)
    assert store.archive.wanted_files() == []
    assert list(store.blobs.staging.iterdir()) == []  # nothing left behind

    backend.clear_requests()
    again = await run_sync(store, backend)
    assert (again.outcome, again.files_downloaded, again.files_gone) == ("complete", 0, 0)
    assert backend.requests_to(FILE_CALLS) == [] and backend.requests_to(CONTENT) == []


async def test_a_file_an_export_left_out_comes_with_the_next_sync(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], tmp_path: Path
) -> None:
    store = make_store()
    imported = import_export(store, export_without(tmp_path, PDF.entry))
    assert imported.files_added == len(FILES) - 1
    assert attachments(store, KAYAK_PDF)[PDF.file_id].available is False
    assert found(store, PDF_WORD) == []
    assert {w.file_id for w in store.archive.wanted_files()} == {PDF.file_id, *MISSING_FILES}

    report = await run_sync(store, backend)
    assert report.outcome == "complete"
    assert backend.requests_to(f"/backend-api/conversation/{KAYAK_PDF}") == []  # the file came from the wanted list
    assert (report.files_downloaded, report.files_gone) == (1, len(MISSING_FILES))
    assert fetched_ids(backend) == [PDF.file_id]
    assert store.file_bytes(PDF.file_id) == (sample_bytes(PDF.entry), "application/pdf")
    shown = attachments(store, KAYAK_PDF)[PDF.file_id]
    assert (shown.available, shown.kind, shown.uri) == (True, "document", f"chatgpt://files/{PDF.file_id}")
    assert found(store, PDF_WORD) == [KAYAK_PDF]


async def test_a_data_folder_from_before_the_wanted_list_gets_its_files(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], tmp_path: Path
) -> None:
    store = make_store()
    import_export(store, export_without(tmp_path, PDF.entry))
    with contextlib.closing(sqlite3.connect(store.archive.path)) as db, db:
        db.execute("DELETE FROM files_wanted")  # as an archive written before the list existed has it
    assert store.archive.wanted_files() == []
    said: list[str] = []

    def progress(done: int, total: int, message: str) -> None:
        said.append(message)

    looking = "looking for the files the stored conversations name"
    report = await run_sync(store, backend, progress=progress)
    assert (report.files_downloaded, report.files_gone) == (1, len(MISSING_FILES))
    assert found(store, PDF_WORD) == [KAYAK_PDF]
    assert looking in said
    said.clear()
    await run_sync(store, backend, progress=progress)
    assert looking not in said  # once listed, the wanted list is kept as conversations are written
    await run_sync(store, backend, full=True, progress=progress)
    assert looking in said


async def test_a_sync_cut_off_keeps_its_files_and_the_next_one_fetches_the_rest(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    backend.fail_status(500, CONTENT, count=None, after=3)  # ChatGPT fails after three files
    store = make_store()
    first = await run_sync(store, backend)
    assert (first.outcome, first.files_downloaded) == ("incomplete", 3)
    kept = set(store.archive.files())
    assert len(kept) == 3 and kept <= set(FILES)
    assert first.files_remaining == len(store.archive.wanted_files()) >= len(FILES) - 3
    assert "files left for the next sync" in first.summary()
    assert list(store.blobs.staging.iterdir()) == []

    backend.clear_faults()
    backend.clear_requests()
    second = await run_sync(store, backend)
    assert (second.outcome, second.files_downloaded) == ("complete", len(FILES) - 3)
    assert sorted(fetched_ids(backend)) == sorted(set(FILES) - kept)  # nothing fetched twice
    assert set(store.archive.files()) == set(FILES)
    assert found(store, PDF_WORD) == [KAYAK_PDF]
    assert second.files_remaining == 0


async def test_a_file_chatgpt_no_longer_has_is_marked_gone_and_not_asked_for_again(
    backend: FakeBackend, make_store: Callable[..., HistoryStore]
) -> None:
    with backend.lock:
        del backend.account.files[PDF.file_id]  # deleted in ChatGPT since
    store = make_store()
    report = await run_sync(store, backend)
    assert report.outcome == "complete"
    assert (report.files_downloaded, report.files_gone) == (len(FILES) - 1, len(MISSING_FILES) + 1)
    assert "files no longer on ChatGPT" in report.summary()
    assert set(store.archive.gone_files()) == {PDF.file_id, *MISSING_FILES}
    assert attachments(store, KAYAK_PDF)[PDF.file_id].available is False
    assert store.status().last_sync is not None and store.status().last_sync.files_gone == len(MISSING_FILES) + 1

    backend.clear_requests()
    again = await run_sync(store, backend, full=True)  # even a full sync, which fetches every conversation again
    assert again.fetched == report.fetched
    assert (again.files_downloaded, again.files_gone) == (0, 0)
    assert backend.requests_to(FILE_CALLS) == []


async def test_sync_files_off_downloads_nothing(backend: FakeBackend, tmp_path: Path) -> None:
    assert Settings.from_env({ENV_SYNC_FILES: "0"}).sync_files is False
    settings = Settings(
        base_url=backend.url,
        session_token=backend.session_token,
        data_dir=tmp_path / "data",
        config_dir=tmp_path / "config",
        sync_pacing=0,
        sync_interval=0,
        sync_files=False,
    )
    store = HistoryStore(settings.data_dir)
    try:
        report = await account.sync(settings, store)
        assert (report.outcome, report.files_downloaded) == ("complete", None)
        assert "files downloaded" not in report.summary()
        assert backend.requests_to(FILE_CALLS) == [] and store.archive.files() == {}
        assert found(store, PDF_WORD) == []
        assert len(store.archive.wanted_files()) == WANTED  # kept for when files are switched on

        on = await account.sync(settings.model_copy(update={"sync_files": True}), store)
        assert on.files_downloaded == len(FILES)
        assert found(store, PDF_WORD) == [KAYAK_PDF]
    finally:
        store.close()


async def test_the_files_bound_is_kept(backend: FakeBackend, tmp_path: Path) -> None:
    limit = 10_000  # the sample's files are 27 kB together
    store = HistoryStore(tmp_path / "limited", files_limit=limit)
    try:
        await run_sync(store, backend, files=False)
        wanted = store.archive.wanted_files()
        # every file is wanted, those larger than the bound too: a raised bound brings them (a sync asks for
        # none while the store is full, and is told a file's size before any of its bytes)
        assert len(wanted) == WANTED
        report = await run_sync(store, backend)
        assert report.outcome == "complete"
        assert store.archive.file_counts()[1] <= limit
        assert report.files_downloaded and report.files_skipped
        assert report.files_downloaded + report.files_skipped + report.files_gone == len(wanted)
        assert "over CHATGPT_HISTORY_FILES_LIMIT" in report.summary()
        assert list(store.blobs.staging.iterdir()) == []
        again = await run_sync(store, backend)
        assert store.archive.file_counts()[1] <= limit and again.files_skipped
    finally:
        store.close()

    none = HistoryStore(tmp_path / "none", files_limit=0)
    try:
        backend.clear_requests()
        report = await run_sync(none, backend)
        assert (report.files_downloaded, none.archive.files()) == (0, {})
        assert backend.requests_to(FILE_CALLS) == []  # a store that keeps no files asks for none
    finally:
        none.close()


async def test_no_signed_link_or_token_reaches_the_logs_or_the_report(
    backend: FakeBackend, make_store: Callable[..., HistoryStore], caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("", "httpx", "httpcore", "chatgpt_history_mcp"):
        caplog.set_level(logging.DEBUG, logger=name)
    limited = backend.fail_429(CONTENT, retry_after=0)  # a retried download: its wait is told as progress
    shown: list[str] = []

    def progress(done: int, total: int, message: str) -> None:
        shown.append(message)

    store = make_store()
    report = await run_sync(store, backend, progress=progress)
    assert report.files_downloaded == len(FILES)
    assert any("files" in m for m in shown)
    secrets = backend.secrets()
    signatures = [url.rsplit("sig=", 1)[1] for url in backend.download_urls]
    assert limited.hits == 1 and len(signatures) == len(FILES) and set(signatures) <= set(secrets)
    records = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert f"{CONTENT}?id=" in caplog.text  # the links were logged (by httpx), masked
    texts = [caplog.text, records, *shown, report.model_dump_json(), report.summary()]
    texts += [*store.archive.gone_files().values(), store.status().model_dump_json()]
    for text in texts:
        for secret in secrets:
            assert secret not in text
