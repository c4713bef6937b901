"""Downloading a conversation's file (``chatgpt-files-and-canvas.md`` §2): the download endpoint's signed link,
fetched fresh, streamed into the caller's folder, never shown anywhere (fake backend on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from chatgpt_history_mcp.chatgpt.backend import (
    BackendClient,
    BackendNotFound,
    Credentials,
    DownloadedFile,
    FileGone,
    RetryPolicy,
    Unavailable,
)
from chatgpt_history_mcp.errors import FileTooLarge
from fake_backend import FakeBackend, export_account
from sample import FILES, GLAZE_PHOTO, HOUSEPLANT, KAYAK_PDF, MISSING_FILES, SAMPLE

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)
PHOTO = FILES["file-8Gm2QxT4rVb7KpLw1NcYe5"]  # the glaze photo, a file-… id (today's and the older endpoint)
CONTENT = "/backend-api/estuary/content"  # where the fake's signed links point
NEW_FORM = "/backend-api/files/download/"
OLD_FORM = "/download"


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    folder = tmp_path / "staging"
    folder.mkdir()
    return folder


def client(fb: FakeBackend, **kwargs: Any) -> BackendClient:
    return BackendClient(
        Credentials(session_token=fb.session_token),
        base_url=kwargs.pop("base_url", fb.url),
        retry=kwargs.pop("retry", FAST),
        **kwargs,
    )


def sample_bytes(entry: str) -> bytes:
    with zipfile.ZipFile(SAMPLE) as z:
        return z.read(entry)


def paths(fb: FakeBackend) -> list[str]:
    return [r.path for r in fb.requests if r.path != "/api/auth/session"]


def assert_is(downloaded: DownloadedFile, data: bytes, staging: Path) -> None:
    assert downloaded.path.read_bytes() == data
    assert (downloaded.size, downloaded.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert downloaded.path.parent == staging and list(staging.iterdir()) == [downloaded.path]


class ExpireFirstLink(httpx.AsyncBaseTransport):
    """Real HTTP, but the fake clock jumps past the links' lifetime just before the first signed link is fetched:
    the link expires on its way, as one does when a download waits its turn."""

    def __init__(self, fb: FakeBackend) -> None:
        self.fb = fb
        self.inner = httpx.AsyncHTTPTransport()
        self.expired = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == CONTENT and not self.expired:
            self.expired = True
            self.fb.advance(self.fb.download_url_lifetime + 1)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_every_sample_file_arrives_byte_for_byte(staging: Path) -> None:
    with FakeBackend(export_account()) as fb:
        async with client(fb) as c:
            for f in FILES.values():
                got = await c.download_file(f.file_id, staging, conversation_id=f.conversation_id)
                assert_is(got, sample_bytes(f.entry), staging)
                assert (got.file_name, got.mime_type_declared) == (f.name, f.mime_type)
                got.path.unlink()
        asked = [r for r in fb.requests if r.path.startswith(NEW_FORM)]
        assert [r.query.get("inline") for r in asked] == ["false"] * len(FILES)
        fetched = [r for r in fb.requests if r.path == CONTENT]
        assert len(fetched) == len(FILES) and not any("authorization" in r.headers for r in fetched)


async def test_a_relative_link_is_fetched_from_the_backend(staging: Path) -> None:
    with FakeBackend(export_account(), relative_download_urls=True) as fb:
        async with client(fb) as c:
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        assert fb.download_urls[-1].startswith(CONTENT)
    assert_is(got, sample_bytes(PHOTO.entry), staging)


async def test_a_link_to_another_host_gets_nothing_of_ours(staging: Path) -> None:
    # The client talks to the backend as "localhost"; the fake's links name 127.0.0.1: another host.
    with FakeBackend(export_account()) as fb:
        async with client(fb, base_url=f"http://localhost:{fb.port}") as c:
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        assert_is(got, sample_bytes(PHOTO.entry), staging)
        (fetch,) = [r for r in fb.requests if r.path == CONTENT]
        assert fetch.headers["host"].startswith("127.0.0.1:")
        ours = {"authorization", "cookie", "chatgpt-account-id", "oai-device-id", "origin", "referer"}
        assert ours.isdisjoint(fetch.headers)


async def test_a_file_of_another_conversation_is_refused_as_gone(staging: Path) -> None:
    with FakeBackend(export_account()) as fb:
        async with client(fb) as c:
            with pytest.raises(FileGone, match=f"{PHOTO.file_id}.*conversation {HOUSEPLANT}") as caught:
                await c.download_file(PHOTO.file_id, staging, conversation_id=HOUSEPLANT)
        assert caught.value.file_id == PHOTO.file_id and isinstance(caught.value, BackendNotFound)
        # Both forms were asked, both for that conversation; no link was issued.
        asked = [r for r in fb.requests if r.path.startswith("/backend-api/files/")]
        assert [r.path.endswith(OLD_FORM) for r in asked] == [False, True]
        assert {r.query.get("conversation_id") for r in asked} == {HOUSEPLANT} and not fb.download_urls
    assert not list(staging.iterdir())


@pytest.mark.parametrize("error_status", [404, 200])
async def test_a_file_the_backend_no_longer_has_is_gone(staging: Path, error_status: int) -> None:
    account = export_account()
    deleted = account.add_file(b"soon gone", "notes.txt", "text/plain", conversation_id=KAYAK_PDF)
    del account.files[deleted]
    with FakeBackend(account, download_error_status=error_status) as fb:
        async with client(fb) as c:
            # A file-… id: the older form is asked too, and is just as sure.
            gone = f"file {deleted} is no longer available from ChatGPT in conversation {KAYAK_PDF}"
            with pytest.raises(FileGone, match=gone) as one:
                await c.download_file(deleted, staging, conversation_id=KAYAK_PDF)
            assert paths(fb) == [NEW_FORM + deleted, f"/backend-api/files/{deleted}/download"]
            # A sediment id (file_…): the older form is not for it, unless today's endpoint answered 404.
            with pytest.raises(FileGone, match=f"{MISSING_FILES[0]} is no longer available") as other:
                await c.download_file(MISSING_FILES[0], staging)
            older = [f"/backend-api/files/{MISSING_FILES[0]}/download"] if error_status == 404 else []
            assert paths(fb)[2:] == [NEW_FORM + MISSING_FILES[0], *older]
    assert (one.value.file_id, other.value.file_id) == (deleted, MISSING_FILES[0])
    if error_status == 200:  # the backend's own words, when it gave them
        assert "(File not found.)" in str(other.value)
    assert not list(staging.iterdir())


async def test_the_older_endpoint_serves_when_todays_answers_404(staging: Path) -> None:
    with FakeBackend(export_account()) as fb:
        fb.fail_status(404, NEW_FORM + "*", count=None)
        async with client(fb) as c:
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        assert paths(fb) == [NEW_FORM + PHOTO.file_id, f"/backend-api/files/{PHOTO.file_id}/download", CONTENT]
    assert_is(got, sample_bytes(PHOTO.entry), staging)
    assert (got.file_name, got.mime_type_declared) == (PHOTO.name, None)  # the older form declares no type


async def test_a_link_that_expired_before_its_fetch_is_asked_for_afresh(staging: Path) -> None:
    with FakeBackend(export_account()) as fb:
        transport = ExpireFirstLink(fb)
        async with client(fb, transport=transport) as c:
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        assert transport.expired
        assert [r.status for r in fb.requests if r.path == CONTENT] == [403, 200]
        assert paths(fb) == [NEW_FORM + PHOTO.file_id, CONTENT, NEW_FORM + PHOTO.file_id, CONTENT]
    assert_is(got, sample_bytes(PHOTO.entry), staging)


async def test_a_link_refused_twice_means_the_file_is_gone(staging: Path) -> None:
    with FakeBackend(export_account(), download_url_lifetime=0) as fb:  # every link is dead on arrival
        async with client(fb) as c:
            with pytest.raises(FileGone, match=f"file {PHOTO.file_id} is no longer available.*link is refused"):
                await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        assert [r.status for r in fb.requests if r.path == CONTENT] == [403, 403]
        assert len(fb.download_urls) == 2
    assert not list(staging.iterdir())


async def test_a_file_declared_too_large_is_not_fetched(staging: Path) -> None:
    data = sample_bytes(PHOTO.entry)
    with FakeBackend(export_account()) as fb:
        async with client(fb) as c:
            with pytest.raises(FileTooLarge, match=f"{PHOTO.file_id} is larger than the {len(data) - 1:,} bytes"):
                await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO, max_bytes=len(data) - 1)
            assert CONTENT not in paths(fb) and not list(staging.iterdir())
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO, max_bytes=len(data))
    assert_is(got, data, staging)  # exactly the bound is allowed


async def test_a_stream_passing_the_bound_is_cut_and_leaves_nothing(staging: Path) -> None:
    data = sample_bytes(PHOTO.entry)
    with FakeBackend(export_account()) as fb:
        fb.fail_status(404, NEW_FORM + "*", count=None)  # the older form: no size declared, so the stream decides
        async with client(fb) as c:
            with pytest.raises(FileTooLarge, match="more than 1,000 bytes arrived") as caught:
                await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO, max_bytes=1000)
        assert [r.status for r in fb.requests if r.path == CONTENT] == [200]
    assert (caught.value.file_id, caught.value.limit) == (PHOTO.file_id, 1000) and len(data) > 1000
    assert not list(staging.iterdir())


@pytest.mark.parametrize("fault", ["429", "503", "drop"])
async def test_a_refusal_of_the_link_for_a_moment_is_retried(staging: Path, fault: str) -> None:
    with FakeBackend(export_account()) as fb:
        if fault == "429":
            fb.fail_429(CONTENT, retry_after=0)
        elif fault == "503":
            fb.fail_status(503, CONTENT)
        else:
            fb.drop_connection(CONTENT)
        waits: list[str] = []
        async with client(fb) as c:
            c.on_wait = waits.append
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        assert len(waits) == 1 and len([p for p in paths(fb) if p == CONTENT]) == 2
        assert len(fb.download_urls) == 1  # the same link, retried: not a refusal
    assert_is(got, sample_bytes(PHOTO.entry), staging)


async def test_an_expired_bearer_is_refreshed_on_the_way(staging: Path) -> None:
    with FakeBackend(export_account()) as fb:
        async with client(fb) as c:
            await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
            fb.expire_tokens()
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        assert [r.status for r in fb.requests if r.path.startswith(NEW_FORM)] == [200, 401, 200]
        assert len(fb.access_tokens) == 2
    assert got.path.read_bytes() == sample_bytes(PHOTO.entry)


async def test_no_link_signature_or_token_is_ever_shown(staging: Path, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("", "httpx", "httpcore", "chatgpt_history_mcp"):
        caplog.set_level(logging.DEBUG, logger=name)
    shown: list[str] = []
    with FakeBackend(export_account()) as fb:
        async with client(fb) as c:
            got = await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
            shown += [repr(got), str(got)]
            fb.fail_429(CONTENT, retry_after=0)  # retried: the wait's notice is shown to a person
            c.on_wait = shown.append
            await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
            fb.download_url_lifetime = 0  # refused twice: FileGone
            with pytest.raises(FileGone) as gone:
                await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
            fb.fail_status(503, CONTENT, count=None)  # out of attempts: Unavailable
            fb.download_url_lifetime = 300
            with pytest.raises(Unavailable) as unavailable:
                await c.download_file(PHOTO.file_id, staging, conversation_id=GLAZE_PHOTO)
        for exc in (gone.value, unavailable.value):
            shown += [str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__)]
        secrets = fb.secrets()
        signatures = [url.rsplit("sig=", 1)[1] for url in fb.download_urls]
        assert len(signatures) == 5 and set(signatures) <= set(secrets)
    records = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    # The link was logged (httpx's request line, httpcore's trace): masked, not left out.
    assert f"{CONTENT}?id={PHOTO.file_id}" in caplog.text and "sig=[masked]" in caplog.text
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    for text in (caplog.text, records, *shown):
        for secret in secrets:
            assert secret not in text
