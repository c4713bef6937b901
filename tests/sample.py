"""The bundled sample exports: ids of their conversations, their files and the facts tests check (see
examples/SAMPLE.md, which says the same in prose)."""

from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample-export.zip"
SAMPLE_2026 = REPO / "examples" / "sample-export-2026.zip"
ALL_SAMPLE = 24
ALL_SAMPLE_2026 = 5

SOURDOUGH = "f538df88-7b69-5937-a98d-cc86d3d6878c"
LISBON = "7296ab64-f016-5de2-aa4a-709f7c4a4f9a"
K8S = "d4add0b2-9779-5567-8ca6-5e1d7c3dcbfc"
RUST = "de3c5dc9-d764-59a3-adeb-c78ab9ea48cd"
COVER_LETTER = "2ec425c9-2cf7-5d84-85be-951716a8ab07"
SPANISH = "2ee43ab6-bf3d-5a2a-8662-6f6122a6da8b"
PARSE_CONFIG = "d8618855-c6c4-5353-b00c-28f93dd1b043"
SQL = "60e1cd8b-67a4-51ad-9832-f23f03decaa0"
CHINESE = "e91d75cf-24b4-5013-87d6-e9aabd360447"
JAPANESE_KOREAN = "9d016280-a6ce-5e55-8086-2c47d769ee0e"
HOUSEPLANT = "ad2a4c6a-56fc-542f-80f8-1461655fc657"
MEAL_PLAN = "6822d6d5-4022-508b-8ca9-49a4dab6d196"
TRAINING = "1d15765c-b757-534d-9f23-e86e3d52dd98"
HIKE = "eb8060cc-6d1c-58cf-8862-05b81faa8508"
GIFT = "e119b057-e700-57f0-9100-f8b305a5acbb"
AGENT = "44d66067-1dbd-5edf-9ddd-6a210b61ec8a"  # untitled, archived
GLAZE_PHOTO = "795c1944-8bea-55bf-920b-7449f65044d1"  # uploaded JPEG; craft project
CHESS_POSTER = "f485c563-053a-5e34-bcd8-e293e0980b9e"  # DALL-E WEBP
OTTER_CARD = "f663ba98-73ac-5c0a-9ae6-40bf7141e304"  # image_gen PNG (sediment://)
READING_CHART = "6f8c7b2c-a4ab-5ab6-a47a-6a499e52b21f"  # CSV attachment, code-interpreter chart
KAYAK_PDF = "ae7a45b4-93ec-5063-9f12-7ccbc312c34a"  # PDF attachment
CANDLE_CANVAS = "fb809c12-db9e-5b67-8fd6-428aae5c4bc0"  # canvas: create, regex update, comment, rewrite; craft project
DEEP_RESEARCH = "f8be09c8-805e-5a85-a778-2b9c49d07126"  # 2025 async report
DEEP_RESEARCH_WIDGET = "25924e6b-786d-5f19-8532-753919fb456b"  # 2026 widget_state report
PROJECT = "g-p-f8dd157eba2c5dadb472c59ed4996b8c"  # Lisbon, cover letter, Spanish (and the 2026 sample's insurance)
CRAFT_PROJECT = "g-p-16d95803a22f5077b51172b9e1e46b46"  # glaze photo, candle canvas
CUSTOM_GPT = "g-Kx7pQ2mZr"  # the Kubernetes chat
DELETED_GPT = "g-Sq3nS31aQ"  # the SQL chat: the fake backend answers 404 for it, as for a deleted GPT
#: What the person calls them (no export carries these: they come from the backend; the fake serves them).
PROJECT_NAMES = {PROJECT: "Moving to Zürich", CRAFT_PROJECT: "Clay & Wick"}
GPT_NAMES = {CUSTOM_GPT: "Kube Doctor"}

#: Words found in one place only (SAMPLE.md says where): the text of a PDF attachment, of a CSV attachment, the
#: final text of the canvas, the 2025 deep-research report, the 2026 widget report.
PDF_WORD = "PDFATTACHMENTWORD"
CSV_WORD = "CSVATTACHMENTWORD"
CANVAS_WORD = "CANVASFINALWORD"
DEEP_RESEARCH_WORD = "DEEPRESEARCHWORD"
WIDGET_REPORT_WORD = "WIDGETREPORTWORD"
#: Found only in an attachment's file name (``mug-IMG_4471.jpg``).
FILE_NAME_WORD = "IMG_4471"

RGB = tuple[int, int, int]


class SampleFile(NamedTuple):
    """A file of a sample export. ``quadrants``: the solid colours of the image's top-left, top-right,
    bottom-left and bottom-right quarters (exact for PNG and WEBP, within :data:`JPEG_TOLERANCE` for JPEG)."""

    file_id: str
    entry: str  # its name in the ZIP
    name: str  # the attachment's name, or what the 2026 name map says, or the entry's base name
    mime_type: str  # what the bytes are
    conversation_id: str | None
    size: tuple[int, int] | None = None
    quadrants: tuple[RGB, RGB, RGB, RGB] | None = None


JPEG_TOLERANCE = 8
FILES = {
    f.file_id: f
    for f in (
        SampleFile(
            "file-8Gm2QxT4rVb7KpLw1NcYe5",
            "file-8Gm2QxT4rVb7KpLw1NcYe5-mug-IMG_4471.jpg",
            "mug-IMG_4471.jpg",
            "image/jpeg",
            GLAZE_PHOTO,
            (640, 480),
            ((178, 34, 34), (34, 139, 34), (30, 60, 200), (245, 245, 220)),
        ),
        SampleFile(
            "file-Ud3XwP9sKq2LmR7vTb4Hn8",
            "dalle-generations/file-Ud3XwP9sKq2LmR7vTb4Hn8-5f439a42-879d-5b8a-9a28-1d38ffcdb292.webp",
            "file-Ud3XwP9sKq2LmR7vTb4Hn8-5f439a42-879d-5b8a-9a28-1d38ffcdb292.webp",
            "image/webp",
            CHESS_POSTER,
            (1024, 1024),
            ((255, 215, 0), (0, 0, 0), (255, 255, 255), (128, 0, 128)),
        ),
        SampleFile(
            "file_000000009f1c6e2ab84d4f0c93e7d215",
            "user-AlexExample00000000000/file_000000009f1c6e2ab84d4f0c93e7d215-a077d6e3-8210-56b0-a7c1-5d600eefb775.png",
            "file_000000009f1c6e2ab84d4f0c93e7d215-a077d6e3-8210-56b0-a7c1-5d600eefb775.png",
            "image/png",
            OTTER_CARD,
            (1024, 1536),
            ((0, 128, 128), (255, 127, 80), (135, 206, 235), (85, 107, 47)),
        ),
        SampleFile(
            "file-3nWq8ZrT6yHb1VxKd5Lc9P",
            "file-3nWq8ZrT6yHb1VxKd5Lc9P.png",
            "file-3nWq8ZrT6yHb1VxKd5Lc9P.png",
            "image/png",
            READING_CHART,
            (1800, 1000),  # longer than 1568 px: get_file must downscale it
            ((255, 255, 255), (31, 119, 180), (255, 127, 14), (44, 160, 44)),
        ),
        SampleFile(
            "file-Rk8vN2mQp4LxT7bWc9Ye3A",
            "file-Rk8vN2mQp4LxT7bWc9Ye3A-reading-log.csv",
            "reading-log.csv",
            "text/csv",
            READING_CHART,
        ),
        SampleFile(
            "file-Rk8vN2mQp4LxT7bWc9Ye3Ax",  # starts with the CSV's id: a bare prefix match mis-hits
            "file-Rk8vN2mQp4LxT7bWc9Ye3Ax-kayak-safety-briefing.pdf",
            "kayak-safety-briefing.pdf",
            "application/pdf",
            KAYAK_PDF,
        ),
        SampleFile(
            "file-abc123",  # the attachment says monstera.jpg, a 1536×2048 JPEG; the file is a 1×1 PNG
            "file-abc123-monstera.png",
            "monstera.jpg",
            "image/png",
            HOUSEPLANT,
            (1, 1),
        ),
        SampleFile(
            "file_00000000a1b2c3d4e5f60718293a4b5c",
            f"{HOUSEPLANT}/audio/file_00000000a1b2c3d4e5f60718293a4b5c.wav",
            "file_00000000a1b2c3d4e5f60718293a4b5c.wav",
            "audio/wav",
            HOUSEPLANT,
        ),
    )
}
#: Pointers of the sample with no file in it (missing files are normal): the houseplant's second photo and second
#: voice clip, the agent chat's screenshot.
MISSING_FILES = (
    "file_000000004c2a61f6b1d2e3f4a5b6c7d8",
    "file_00000000b2c3d4e5f60718293a4b5c6d",
    "file_00000000c3d4e5f60718293a4b5c6d7e",
)

#: The canvas of CANDLE_CANVAS: its textdoc id, title, type, and the text of each version (1 created, 2 after the
#: regex update; the comment changes no text; 3 after the full rewrite ``.*``).
CANVAS_TEXTDOC_ID = "6cea6ca20f25543dafa7c5f4"
CANVAS_TITLE = "candle_shop_about"
CANVAS_TYPE = "document"
CANVAS_VERSIONS = (
    "# About Clay & Wick\n\n"
    "Clay & Wick is a two-person studio in a converted garage. Every candle is hand-poured into a mug we threw\n"
    "ourselves, using beeswax from a farm twenty minutes away.\n\n"
    "Once the candle is gone, the mug is yours: rinse it with warm water and use it for coffee.",
    "# About Clay & Wick\n\n"
    "Clay & Wick is a two-person studio in a converted garage. Every candle is hand-poured into a mug we threw\n"
    "ourselves, using a coconut and rapeseed wax blend that burns clean and slow.\n\n"
    "Once the candle is gone, the mug is yours: rinse it with warm water and use it for coffee.",
    "# About Clay & Wick\n\n"
    "We are Mira and Jonas, and Clay & Wick is our two-person studio in a converted garage. Every candle is\n"
    "hand-poured into a mug we threw ourselves, in small batches of twelve, using a coconut and rapeseed wax\n"
    "blend that burns clean and slow.\n\n"
    "Our glazes are food-safe and lead-free. Once the candle is gone, the mug is yours: rinse it with warm water\n"
    "and use it for coffee. Our customers call this the CANVASFINALWORD promise.",
)
CANVAS_COMMENT = ("two-person studio", "Say who the two people are.")

# The 2026 sample (examples/sample-export-2026.zip).
SCREENSHOT_2026 = "6114a965-b53a-546c-b1a1-323c36dd65d2"  # a 2560×1440 PNG upload and a pointer with no file
SCHEDULE_2026 = "65dc06fe-77a2-558d-bf91-7b61f764f47e"  # PDF attachment (its name in the map has no extension)
GENERATED_2026 = "60538001-069c-5719-a9bf-795b963b91c3"  # a generated WEBP (map value under dalle-generations/)
CODE_CANVAS_2026 = "7b49b4c1-32f3-5964-8f17-1f379011c57f"  # a code/python canvas created, then rewritten
INSURANCE_2026 = "4d1c6dc7-7546-509d-928c-ae8a82ff2a38"  # a voice message in PROJECT
CODE_CANVAS_TEXTDOC_ID = "f7edcfa2f8025523a595b6d5"
ORCHESTRA_WORD = "ORCHESTRAPDFWORD"  # only in the 2026 PDF
CODE_CANVAS_WORD = "CODECANVASWORD"  # only in the 2026 canvas' final text
FILES_2026 = {
    f.file_id: f
    for f in (
        SampleFile(
            "file_00000000e4b7a9d2c6f1408b95a3d7e1",
            "file_00000000e4b7a9d2c6f1408b95a3d7e1.dat",
            "Screenshot 2026-01-20 at 09.14.22.png",
            "image/png",
            SCREENSHOT_2026,
            (2560, 1440),
            ((236, 236, 236), (52, 101, 164), (204, 0, 0), (46, 52, 54)),
        ),
        SampleFile(
            "file-Vw5Yh2Jq8Nc3Tz6Lr9Bd1M",
            "file-Vw5Yh2Jq8Nc3Tz6Lr9Bd1M.dat",
            "rehearsal-schedule",  # as the name map has it: no extension
            "application/pdf",
            SCHEDULE_2026,
        ),
        SampleFile(
            "file_0000000071c3e5a9b2d4460f8e1a3c5d",
            "file_0000000071c3e5a9b2d4460f8e1a3c5d.dat",
            "dalle-generations/07fc5ebc-f3cc-58cc-af9d-d9e9a2e7a370.webp",
            "image/webp",
            GENERATED_2026,
            (1024, 1024),
            ((255, 192, 203), (72, 61, 139), (240, 230, 140), (0, 100, 0)),
        ),
        SampleFile(
            "file_00000000aa11bb22cc33dd44ee55ff66",
            "file_00000000aa11bb22cc33dd44ee55ff66.dat",
            f"{INSURANCE_2026}/audio/file_00000000aa11bb22cc33dd44ee55ff66.wav",
            "audio/wav",
            INSURANCE_2026,
        ),
    )
}
MISSING_FILES_2026 = ("file_00000000f0e1d2c3b4a5968778695a4b",)  # the screenshot chat's second picture
